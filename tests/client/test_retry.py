"""Retries against a real HTTP server that answers 503 (with Retry-After) before it answers
properly: the client waits what it is told, sends a retried POST under the same
Idempotency-Key, and raises typed errors carrying the farm's code."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from meshfarm_client import AsyncClient, Client, NotFound, RetryPolicy, ServerError
from meshfarm_client.models import RenderSettings

ACCOUNT = {"data": {"id": "acc", "email": "a@example.com", "credits": 7, "isAdmin": False}}
QUOTE = {
    "data": {
        "creditsRequired": 16,
        "creditsAvailable": 7,
        "sufficient": False,
        "breakdown": [{"quality": "4k", "credits": 16}],
    }
}
BUSY = {"error": {"code": "service_unavailable", "message": "busy", "status": 503}}
MISSING = {"error": {"code": "render_not_found", "message": "Render not found", "status": 404}}


@dataclass
class Seen:
    method: str
    path: str
    at: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Flaky:
    """Answers each path's first request with 503 ``Retry-After: 1`` (``busy_times``
    times), then properly; remembers every request."""

    url: str = ""
    busy_times: int = 1
    seen: list[Seen] = field(default_factory=list)


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    state = Flaky()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            state.seen.append(
                Seen(self.command, self.path, time.monotonic(), dict(self.headers), body)
            )
            earlier = sum(s.path == self.path for s in state.seen) - 1
            if self.path.startswith("/v1/renders/"):
                self._send(404, MISSING)
            elif earlier < state.busy_times:
                self._send(503, BUSY, {"Retry-After": "1"})
            elif self.path == "/v1/quote":
                self._send(200, QUOTE)
            else:
                self._send(200, ACCOUNT)

        do_GET = do_POST = _answer

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_a_503_is_retried_after_its_retry_after(flaky: Flaky) -> None:
    with Client(flaky.url, "dxgl_sk_test") as client:
        account = client.account()
    assert account.credits == 7 and account.email == "a@example.com"
    first, second = flaky.seen
    assert second.at - first.at >= 1.0, "Retry-After: 1 was honoured"
    assert first.headers["Authorization"] == "Bearer dxgl_sk_test"


def test_a_retried_post_keeps_its_idempotency_key(flaky: Flaky) -> None:
    with Client(flaky.url + "/v1", "dxgl_sk_test") as client:  # dx.gl's base URL form
        quote = client.quote([RenderSettings(quality="4k")])
    assert quote.credits_required == 16 and quote.sufficient is False
    first, second = flaky.seen
    assert first.path == second.path == "/v1/quote"
    key = first.headers["Idempotency-Key"]
    assert key and second.headers["Idempotency-Key"] == key
    assert json.loads(second.body) == {"renders": [{"quality": "4k"}]}
    with Client(flaky.url, "dxgl_sk_test") as client:
        client.quote([{}])
    assert flaky.seen[-1].headers["Idempotency-Key"] != key, "a new call, a new key"


def test_retries_end_with_the_typed_error(flaky: Flaky) -> None:
    flaky.busy_times = 10
    policy = RetryPolicy(attempts=2, max_retry_after=0.1)
    with Client(flaky.url, "t", retry=policy) as client, pytest.raises(ServerError) as raised:
        client.account()
    assert raised.value.code == "service_unavailable" and raised.value.status == 503
    assert raised.value.retry_after == 1.0
    assert len(flaky.seen) == 2


def test_an_error_is_raised_with_its_code_and_not_retried(flaky: Flaky) -> None:
    with Client(flaky.url, "t") as client, pytest.raises(NotFound) as raised:
        client.get_render("nope")
    assert raised.value.code == "render_not_found"
    assert raised.value.message == "Render not found"
    assert len(flaky.seen) == 1


def test_the_async_client_retries_alike(flaky: Flaky) -> None:
    async def main() -> tuple[int, int]:
        async with AsyncClient(flaky.url, "t") as client:
            account = await client.account()
            quote = await client.quote([{"quality": "4k"}])
        return account.credits, quote.credits_required

    assert asyncio.run(main()) == (7, 16)
    keys = [s.headers.get("Idempotency-Key") for s in flaky.seen if s.path == "/v1/quote"]
    assert len(keys) == 2 and keys[0] == keys[1]
    gets = [s.at for s in flaky.seen if s.path == "/v1/account"]
    assert gets[1] - gets[0] >= 1.0
