"""A stand-in for an operator's text/image-to-3D server, speaking meshfarm's generator
contract (workers.generator_client) on a loopback port: it answers every request with a
fixed GLB, or with a failure, and keeps what it was sent. No generative model can be
installed here; what is under test is the contract and the job around it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Generator:
    url: str
    answer: bytes
    status: int = 200
    requests: list[dict[str, object]] = field(default_factory=list)


@contextmanager
def generator_server(answer: bytes, status: int = 200) -> Iterator[Generator]:
    generator = Generator("", answer, status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = self.rfile.read(length)
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = BytesParser(policy=default).parsebytes(head + body)
            fields: dict[str, object] = {}
            images = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if part.get_filename():
                    images.append((part.get_filename(), part.get_payload(decode=True)))
                else:
                    fields[str(name)] = part.get_content().strip()
            generator.requests.append({"fields": fields, "images": images})
            self.send_response(generator.status)
            self.send_header("Content-Type", "model/gltf-binary")
            self.send_header("Content-Length", str(len(generator.answer)))
            self.end_headers()
            self.wfile.write(generator.answer)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    generator.url = f"http://127.0.0.1:{server.server_address[1]}/generate"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield generator
    finally:
        server.shutdown()
        server.server_close()
