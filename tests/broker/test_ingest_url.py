"""POST /v1/models/ingest against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from broker.errors import InvalidUrl
from broker.ingest.url_fetch import FetchLimits, fetch_model
from testdata import ASSETS
from workers.config import Settings

MB = 1024 * 1024
DUCK = (ASSETS / "Duck.glb").read_bytes()
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/models/Duck.glb": (200, {}, DUCK),
    "/models/download?id=7": (200, {}, DUCK),  # no extension: sniffed from the GLB magic
    "/box.gltf": (200, {}, (ASSETS / "BoxTextured-embedded.gltf").read_bytes()),
    "/scan.zip": (200, {}, (ASSETS / "fuze.zip").read_bytes()),
    "/notes.txt": (200, {}, b"hello, not a model"),
    "/broken.glb": (200, {}, DUCK[: len(DUCK) // 2]),
    "/moved": (302, {"Location": "/models/Duck.glb"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/claims-huge.glb": (200, {"Content-Length": str(500 * MB)}, b""),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow.glb":  # drips forever: only the overall deadline stops it
            self.send_response(200)
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"glTF")
                self.wfile.flush()
                time.sleep(0.1)
            return
        if self.path == "/endless.glb":  # no Content-Length, more bytes than allowed
            self.send_response(200)
            self.end_headers()
            block = b"\0" * MB
            for _ in range(4):
                self.wfile.write(block)
            return
        status, headers, body = ROUTES.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    """The test server is on loopback, which the SSRF guard refuses by default."""
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=db_url,
        ingest_allow_private=True,
        ingest_timeout_seconds=2,
        max_upload_bytes=2 * MB,
        _env_file=None,
    )


def test_ingest_creates_model_preview_and_render(client, user, origin):
    res = client.post(
        "/v1/models/ingest",
        headers=user.headers,
        json={"url": f"{origin}/models/Duck.glb", "renderSettings": {"aspect": "1:1"}},
    )
    assert res.status_code == 201, res.text
    body = res.json()["data"]
    model = client.get(f"/v1/models/{body['modelId']}", headers=user.headers).json()["data"]
    assert model["originalName"] == "Duck.glb"
    assert model["sha256"] == hashlib.sha256(DUCK).hexdigest()
    assert model["fileSize"] == len(DUCK)
    charged = next(r for r in model["renders"] if r["id"] == body["renderId"])
    assert charged["renderSettings"]["aspect"] == "1:1"
    assert any(r["is_system_preview"] for r in model["renders"])
    file = client.get(f"/v1/models/{body['modelId']}/file", headers=user.headers)
    assert file.content == DUCK

    again = client.post(
        "/v1/models/ingest", headers=user.headers, json={"url": f"{origin}/moved"}
    ).json()["data"]
    assert again["duplicate"] is True and again["modelId"] == body["modelId"]
    sniffed = client.post(
        "/v1/models/ingest", headers=user.headers, json={"url": f"{origin}/models/download?id=7"}
    )
    assert sniffed.status_code == 201 and sniffed.json()["data"]["duplicate"] is True
    gltf = client.post(
        "/v1/models/ingest", headers=user.headers, json={"url": f"{origin}/box.gltf"}
    )
    assert gltf.status_code == 201, gltf.text


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({}, 400, "url_required", "url"),
        ({"url": "  "}, 400, "url_required", "url"),
        ({"url": 42}, 400, "invalid_url", "string"),
        ({"url": "not a url"}, 400, "invalid_url", "http"),
        ({"url": "ftp://example.com/x.glb"}, 400, "invalid_url", "http"),
        ({"url": "http://[::1/x.glb"}, 400, "invalid_url", "Malformed"),
        ({"url": "{origin}/nothing-here.glb"}, 400, "invalid_url", "404"),
        ({"url": "{origin}/loop"}, 400, "invalid_url", "redirects"),
        ({"url": "{origin}/scan.zip"}, 400, "invalid_format", "GLB/glTF only"),
        ({"url": "{origin}/notes.txt"}, 400, "invalid_format", ".glb or .gltf"),
        ({"url": "{origin}/broken.glb"}, 400, "invalid_format", "not a valid GLB"),
        ({"url": "{origin}/claims-huge.glb"}, 400, "file_too_large", "2 MB"),
        ({"url": "{origin}/endless.glb"}, 400, "file_too_large", "2 MB"),
        ({"url": "{origin}/slow.glb"}, 408, "timeout", "timed out"),
        ({"url": "{origin}/models/Duck.glb", "extra": 1}, 400, "invalid_request", "extra"),
        (
            {"url": "{origin}/models/Duck.glb", "renderSettings": {"length": 1}},
            400,
            "invalid_settings",
            "length",
        ),
    ],
)
def test_ingest_errors_leave_nothing_behind(client, ctx, user, origin, body, status, code, words):
    if isinstance(body.get("url"), str):
        body = {**body, "url": body["url"].replace("{origin}", origin)}
    started = time.monotonic()
    res = client.post("/v1/models/ingest", headers=user.headers, json=body)
    assert time.monotonic() - started < 10
    assert res.status_code == status, res.text
    assert res.json()["error"]["code"] == code
    assert words in res.json()["error"]["message"]
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 0
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == 100
    assert list(ctx.settings.tmp_dir.iterdir()) == []


def test_the_ssrf_guard_refuses_private_addresses(tmp_path, origin):
    limits = FetchLimits(max_bytes=MB, timeout_s=5, allow_private=False)
    for url in (f"{origin}/models/Duck.glb", "http://10.0.0.1/x.glb", "http://localhost/x.glb"):
        with pytest.raises(InvalidUrl, match="not a public address"):
            asyncio.run(fetch_model(url, tmp_path, limits))
    assert list(tmp_path.iterdir()) == []


def test_the_overlay_is_checked_before_anything_is_downloaded(client, user, origin):
    started = time.monotonic()
    res = client.post(
        "/v1/models/ingest",
        headers=user.headers,
        json={"url": f"{origin}/slow.glb", "renderSettings": {"bgImageId": "nope"}},
    )
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid_settings"
    assert time.monotonic() - started < 1.0  # the 2 s download deadline never started


def test_slow_ingests_do_not_starve_other_requests(live_server, ctx, user, origin):
    """More slow downloads than the server has worker threads (40): health still answers.
    Were each download to hold a thread, health would wait ≈ 4.5 s for one to time out."""
    ctx.settings.ingest_timeout_seconds = 5
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def ingest(_: int) -> int:
        with httpx.Client(base_url=live_server, headers=user.headers, timeout=30) as http:
            return http.post("/v1/models/ingest", json={"url": f"{origin}/slow.glb"}).status_code

    with ThreadPoolExecutor(max_workers=48) as pool:
        pending = [pool.submit(ingest, i) for i in range(48)]
        time.sleep(0.5)
        started = time.monotonic()
        health = httpx.get(f"{live_server}/v1/health", timeout=10)
        waited = time.monotonic() - started
        codes = [p.result() for p in pending]
    assert health.status_code == 200 and waited < 3.0, waited
    assert codes == [408] * 48
