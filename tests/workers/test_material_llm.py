"""workers.material_llm: an OpenAI-compatible endpoint (a real local HTTP server speaking
the chat-completions contract) names the material; any failure is the heuristic's."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exchange.asset import read_asset
from physics.materials import PROPERTIES
from testdata import ASSETS
from workers.material_llm import OpenAICompatibleProvider

Answer = Callable[[dict], tuple[int, bytes]]


def completion(content: str) -> tuple[int, bytes]:
    reply = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "tiny",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return 200, json.dumps(reply).encode()


class Endpoint:
    """A chat-completions server on a free local port; ``answer`` decides each reply."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[tuple[str, dict[str, str], dict]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append((self.path, dict(self.headers), body))
                status, payload = answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False  # a slow answer still asleep does not hold the test
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def provider(self, timeout_s: float = 5.0) -> OpenAICompatibleProvider:
        return OpenAICompatibleProvider("local-llm", self.url, "sk-test", "tiny", timeout_s)


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], Endpoint]]:
    started: list[Endpoint] = []

    def start(answer: Answer) -> Endpoint:
        started.append(Endpoint(answer))
        return started[-1]

    yield start
    for endpoint in started:
        endpoint.server.shutdown()
        endpoint.server.server_close()


@pytest.fixture
def duck():
    return read_asset(ASSETS / "Duck.glb")


def test_the_model_names_the_material(serve, duck):
    endpoint = serve(lambda body: completion('{"material": "rubber", "reason": "a bath duck"}'))

    found = endpoint.provider().identify(duck)

    assert found.kind == "rubber" and found.density == PROPERTIES["rubber"].density
    assert found.provider == "local-llm" and found.reason == "tiny: a bath duck"
    ((path, headers, body),) = endpoint.requests
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "tiny" and body["response_format"] == {"type": "json_object"}
    told = json.loads(body["messages"][-1]["content"])
    assert told["materials"][0]["name"] == duck.materials[0].name
    assert len(told["size_m"]) == 3 and max(told["size_m"]) == pytest.approx(1.65, abs=0.05)
    assert all(kind in body["messages"][0]["content"] for kind in PROPERTIES)


def test_a_fenced_answer_is_read(serve, duck):
    fenced = '```json\n{"material": "Plastic", "reason": "toy"}\n```'

    found = serve(lambda body: completion(fenced)).provider().identify(duck)

    assert found.kind == "plastic" and found.provider == "local-llm"


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (lambda body: (200, b"<html>not json</html>"), "JSONDecodeError"),
        (lambda body: completion("I think it is a duck."), "JSONDecodeError"),
        (lambda body: completion('{"material": "unobtainium"}'), "'unobtainium' is not"),
        (lambda body: (500, b'{"error": "overloaded"}'), "HTTP Error 500"),
        (lambda body: (200, b'{"choices": []}'), "IndexError"),
    ],
)
def test_a_garbage_answer_falls_back_to_the_heuristic(serve, duck, answer, said):
    found = serve(answer).provider().identify(duck)

    assert found.provider == "heuristic" and found.kind == "plastic"
    assert found.reason.startswith("local-llm gave no usable answer (")
    assert said in found.reason
    assert "not metallic" in found.reason  # the heuristic's own reason follows


def test_a_slow_endpoint_times_out_to_the_heuristic(serve, duck):
    def slow(body: dict) -> tuple[int, bytes]:
        time.sleep(2)
        return completion('{"material": "metal", "reason": "late"}')

    started = time.monotonic()
    found = serve(slow).provider(timeout_s=0.3).identify(duck)

    assert found.provider == "heuristic" and "timed out" in found.reason
    assert time.monotonic() - started < 1.5


def test_an_endpoint_that_is_not_there_is_the_heuristic(duck):
    provider = OpenAICompatibleProvider("local-llm", "http://127.0.0.1:9/v1", None, "tiny", 2)

    found = provider.identify(duck)

    assert found.provider == "heuristic" and "Connection refused" in found.reason
