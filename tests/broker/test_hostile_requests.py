"""Hostile requests get a clear 4xx in the dx.gl envelope, alike on SQLite and PostgreSQL:
JSON bombs, NUL bytes wherever text enters, oversized and over-many bodies and fields,
slow clients, a locked database, log injection and server paths in messages."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from broker.app import create_app
from broker.context import AppContext
from broker.db import engine as db_engine
from broker.db.engine import transaction
from broker.db.migrate import upgrade
from broker.db.models import ApiToken, Model
from broker.ingest.multipart import MAX_PARTS
from broker.server import ReceiveTimeouts, timed_protocol
from broker.services import accounts
from broker.services import models as model_service
from testdata import ASSETS
from workers.config import Settings

DUCK = (ASSETS / "Duck.glb").read_bytes()
DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
HUGE_INT = "9" * 5000
BOUNDARY = "hostile-boundary-7f3a"


def _error(res: httpx.Response, status: int, code: str) -> str:
    assert res.status_code == status, res.text
    body = res.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def _multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, dict[str, str]]:
    """A body built by hand: httpx would percent-escape the control characters we send."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data
        out += b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return out, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _model_count(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Model)) or 0)


# --- JSON bombs -------------------------------------------------------------------------

JSON_ROUTES = [
    ("/v1/renders", '{"modelId": "abc", "renderSettings": %s}'),
    ("/v1/renders/batch", '{"renders": [{"modelId": "abc", "renderSettings": %s}]}'),
    ("/v1/quote", '{"renders": [%s]}'),
    ("/v1/models/ingest", '{"url": "https://example.com/a.glb", "renderSettings": %s}'),
    ("/v1/models/check-hash", '{"sha256": %s}'),
]


@pytest.mark.parametrize(("path", "template"), JSON_ROUTES)
@pytest.mark.parametrize(
    ("bomb", "needle"),
    [(DEEP_ARRAY, "nested deeper"), (DEEP_OBJECT, "nested deeper"), (HUGE_INT, "number")],
    ids=["deep-array", "deep-object", "5000-digits"],
)
def test_json_bombs_in_a_body_are_invalid_request(client, user, path, template, bomb, needle):
    res = client.post(
        path, headers={**user.headers, "Content-Type": "application/json"}, content=template % bomb
    )
    assert needle in _error(res, 400, "invalid_request")


@pytest.mark.parametrize("bomb", [DEEP_ARRAY, DEEP_OBJECT, f'{{"length": {HUGE_INT}}}'])
def test_json_bombs_in_render_settings_strings_are_invalid_request(ctx, client, user, bomb):
    """The multipart field, and the JSON-string form URL ingest also accepts (both were 500)."""
    res = client.post(
        "/v1/models",
        headers=user.headers,
        files={"file": ("Duck.glb", DUCK)},
        data={"renderSettings": bomb},
    )
    assert "renderSettings" in _error(res, 400, "invalid_request")
    res = client.post(
        "/v1/models/ingest",
        headers=user.headers,
        json={"url": "https://example.com/a.glb", "renderSettings": bomb},
    )
    assert "renderSettings" in _error(res, 400, "invalid_request")
    assert _model_count(ctx) == 0


def test_a_json_body_over_the_cap_is_413_before_it_is_read(client, user):
    big = b'{"renders": [' + b"1," * (Settings().max_json_body_bytes // 2) + b"1]}"
    res = client.post(
        "/v1/quote", headers={**user.headers, "Content-Type": "application/json"}, content=big
    )
    assert "1 MB" in _error(res, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"renders": ['
        for _ in range(40):
            yield b"1," * 16384
        yield b"1]}"

    res = client.post(
        "/v1/quote", headers={**user.headers, "Content-Type": "application/json"}, content=chunks()
    )
    _error(res, 413, "payload_too_large")


# --- NUL bytes, wherever text enters ----------------------------------------------------


def test_nul_in_paths_and_filters_is_invalid_request(client, user):
    for method, url in [
        ("GET", "/v1/models/ab%00cd"),
        ("GET", "/v1/renders/ab%00cd"),
        ("DELETE", "/v1/models/ab%00cd"),
        ("GET", "/v1/renders/ab%00cd/video"),
        ("GET", "/v1/models?tags=chair%00"),
        ("GET", "/v1/renders?model=ab%00cd"),
        ("GET", "/v1/overlays?layer=back%00ground"),
    ]:
        res = client.request(method, url, headers=user.headers)
        assert "NUL" in _error(res, 400, "invalid_request"), url


def test_nul_in_json_text_is_invalid_request(ctx, client, user):
    with transaction(ctx.sessions) as session:  # a row, as an upload leaves it
        model_id = model_service.new_model_id()
        model_service.add_model(
            session,
            model_id=model_id,
            account_id=user.account_id,
            original_name="Duck.glb",
            size=len(DUCK),
            sha256="0" * 64,
            file_format="glb",
            storage_key=f"models/{model_id}/original.glb",
        )
    for method, url, body in [
        ("PATCH", f"/v1/models/{model_id}", {"title": "chair\x00"}),
        ("PATCH", f"/v1/models/{model_id}", {"tags": ["ok", "bad\x00"]}),
        ("PATCH", f"/v1/models/{model_id}", {"sku\x00": "x"}),
        ("POST", "/v1/models/check-hash", {"sha256": "ab\x00cd"}),
        ("POST", "/v1/models/ingest", {"url": "https://example.com/a\x00.glb"}),
        ("POST", "/v1/renders", {"modelId": "ab\x00cd"}),
        ("POST", "/v1/renders", {"modelId": model_id, "renderSettings": {"bgImageId": "\x00"}}),
    ]:
        res = client.request(method, url, headers=user.headers, json=body)
        assert "NUL" in _error(res, 400, "invalid_request"), body
    res = client.post(  # an unpaired surrogate cannot be stored either
        "/v1/renders",
        headers={**user.headers, "Content-Type": "application/json"},
        content=b'{"modelId": "\\ud800"}',
    )
    _error(res, 400, "invalid_request")
    assert client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]["tags"] == []


def test_nul_in_multipart_fields_and_filenames_is_invalid_request(ctx, client, user):
    for path, parts in [
        ("/v1/models", [("file", "Du\x00ck.glb", DUCK)]),
        ("/v1/models", [("file", "Duck.glb", DUCK), ("renderSettings", None, b'{"x\x00": 1}')]),
        ("/v1/models", [("render\x00Settings", None, b"{}"), ("file", "Duck.glb", DUCK)]),
        ("/v1/overlays", [("name", None, b"back\x00drop"), ("file", "a.png", b"\x89PNG")]),
    ]:
        body, headers = _multipart(*parts)
        res = client.post(path, headers={**user.headers, **headers}, content=body)
        _error(res, 400, "invalid_request")
    assert _model_count(ctx) == 0


# --- multipart: field count, the file under another name --------------------------------


def test_multipart_text_fields_are_capped_in_number(ctx, client, user):
    fields = [(f"f{i}", None, b"x" * 100) for i in range(MAX_PARTS + 1)]
    body, headers = _multipart(*fields, ("file", "Duck.glb", DUCK))
    res = client.post("/v1/models", headers={**user.headers, **headers}, content=body)
    assert f"More than {MAX_PARTS}" in _error(res, 400, "invalid_request")
    assert _model_count(ctx) == 0


@pytest.mark.parametrize("path", ["/v1/models", "/v1/overlays"])
def test_a_file_under_another_field_name_is_no_file(client, user, path):
    payload = DUCK * 3  # > 64 KB: this used to read "Form field 'model' is too large"
    assert len(payload) > 64 * 1024
    res = client.post(path, headers=user.headers, files={"model": ("Duck.glb", payload)})
    assert "'model'" in _error(res, 400, "no_file")


# --- a locked SQLite database -----------------------------------------------------------


def test_a_locked_sqlite_database_is_503_with_retry_after(tmp_path, monkeypatch):
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_SECONDS", 1)
    db = tmp_path / "locked.db"
    upgrade(f"sqlite:///{db}")
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{db}", _env_file=None)  # type: ignore[call-arg]
    ctx = AppContext.from_settings(settings)
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "lock@example.com", initial_credits=5)
        token = accounts.issue_token(session, account).token
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
            started = time.monotonic()
            res = client.get("/v1/account", headers={"Authorization": f"Bearer {token}"})
            took = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
        ctx.close()
    _error(res, 503, "service_unavailable")
    assert res.headers["Retry-After"].isdigit()
    assert took < 5, took


# --- logs and messages ------------------------------------------------------------------


def test_the_unhandled_error_log_line_escapes_control_characters(ctx, caplog):
    app = create_app(ctx)

    @app.get("/v1/boom/{rest}")
    def boom(rest: str) -> None:
        raise RuntimeError("boom")

    with (
        caplog.at_level(logging.ERROR, logger="meshfarm.broker"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        res = client.get("/v1/boom/x%0d%0a2026-01-01 INFO forged%1b[31m")
    _error(res, 500, "internal")
    (line,) = [r.getMessage() for r in caplog.records if "unhandled" in r.getMessage()]
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\\r\\n2026-01-01 INFO forged" in line


def test_error_messages_never_show_server_paths(ctx, client, user):
    res = client.post(
        "/v1/overlays", headers=user.headers, files={"file": ("x.png", b"not an image at all")}
    )
    message = _error(res, 400, "invalid_format")
    data_dir = ctx.settings.data_dir
    for path in (str(data_dir), str(data_dir.resolve()), "/tmp/", "upload-"):
        assert path not in message, message


def test_a_token_records_when_it_was_last_used(ctx, client, user):
    def last_used():  # type: ignore[no-untyped-def]
        with ctx.sessions() as session:
            return session.scalars(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    assert client.get("/v1/account", headers=user.headers).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/v1/account", headers=user.headers).status_code == 200
    assert last_used() == first  # written at most once a minute, not on every request
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    with transaction(ctx.sessions) as session:
        session.execute(update(ApiToken).values(last_used_at=earlier))
    assert client.get("/v1/account", headers=user.headers).status_code == 200
    again = last_used()
    assert (again if again.tzinfo else again.replace(tzinfo=UTC)) > earlier + timedelta(minutes=4)


# --- slow clients -----------------------------------------------------------------------


@pytest.fixture
def timed_server(ctx: AppContext) -> Iterator[int]:
    """The app on uvicorn with the serve command's protocol, deadlines shortened to 1 s."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    protocol = timed_protocol(ReceiveTimeouts(header_seconds=1, body_seconds=1, body_min_rate=1000))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx), host="127.0.0.1", port=port, log_level="warning", http=protocol
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _seconds_until_closed(sock: socket.socket, trickle: bytes = b"", limit: float = 8) -> float:
    """Read until the server closes; send ``trickle`` every 0.1 s meanwhile (100 B/s)."""
    started = time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            if trickle:
                try:
                    sock.sendall(trickle)
                except OSError:
                    return time.monotonic() - started
        except ConnectionResetError:
            return time.monotonic() - started
    return float("inf")


def test_slow_clients_are_closed_and_others_served(timed_server, ctx, user):
    port = timed_server
    with socket.create_connection(("127.0.0.1", port)) as sock:  # slowloris: half the head
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert _seconds_until_closed(sock) < 3
    with socket.create_connection(("127.0.0.1", port)) as sock:  # an upload at 100 B/s
        head = (
            "POST /v1/models HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {user.token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            "Content-Length: 1000000\r\n\r\n"
        )
        part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        sock.sendall(head.encode() + part.encode())
        assert _seconds_until_closed(sock, trickle=b"x" * 10) < 4
    deadline = time.monotonic() + 5  # and its staging file is gone
    while list(ctx.settings.tmp_dir.iterdir()):
        assert time.monotonic() < deadline, list(ctx.settings.tmp_dir.iterdir())
        time.sleep(0.1)
    with socket.create_connection(("127.0.0.1", port)) as sock:  # a declared body never sent
        head = (
            "POST /v1/quote HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {user.token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        sock.sendall(head.encode())
        assert _seconds_until_closed(sock) < 3
    res = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
    assert res.status_code == 200


def test_an_oversized_content_length_is_refused_without_waiting_for_the_body(timed_server, user):
    with socket.create_connection(("127.0.0.1", timed_server)) as sock:
        head = (
            "POST /v1/renders HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {user.token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        )
        sock.sendall(head.encode())
        sock.settimeout(3)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert b'"payload_too_large"' in answer
