"""A farm for end-to-end tests of the job kinds: a fresh SQLite database and data dir, the
app, and the dispatcher with real worker processes (render and CPU slots as asked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.migrate import upgrade
from broker.dispatcher import Dispatcher
from broker.fleet import set_draining
from broker.webhooks.outbox import WebhookLoop
from workers.config import Settings
from workers.local_executor import LocalExecutor


@contextmanager
def farm_context(tmp_path: Path, **settings: Any) -> Iterator[AppContext]:
    """An AppContext on its own database and data dir (``settings`` override the rest)."""
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    upgrade(url)
    values: dict[str, Any] = {"lease_seconds": 30, **settings}
    ctx = AppContext.from_settings(
        Settings(data_dir=tmp_path / "data", database_url=url, _env_file=None, **values)  # type: ignore[call-arg]
    )
    try:
        yield ctx
    finally:
        ctx.close()


@contextmanager
def farm_client(
    ctx: AppContext,
    *,
    render_workers: int,
    cpu_workers: int = 1,
    webhook_body: Callable[..., Any] | None = None,
) -> Iterator[TestClient]:
    """The app with its dispatcher (and webhook loop) started and stopped with it."""
    app = create_app(ctx)
    executor = LocalExecutor(ctx.settings, render_workers, cpu_workers=cpu_workers)
    app.state.dispatcher = Dispatcher(ctx, executor)
    if webhook_body is not None:
        app.state.webhooks = WebhookLoop(ctx, webhook_body)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@contextmanager
def farm_server(ctx: AppContext, *, render_workers: int, cpu_workers: int = 1) -> Iterator[str]:
    """The farm on a real uvicorn server on a free loopback port (for clients that speak
    HTTP themselves: vendor SDKs, ``requests``); yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    app = create_app(ctx)
    executor = LocalExecutor(ctx.settings, render_workers, cpu_workers=cpu_workers)
    app.state.dispatcher = Dispatcher(ctx, executor)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def paused(ctx: AppContext) -> Iterator[None]:
    """No job starts while the farm drains (``meshfarm worker drain``): orders are taken and
    charged, and stay queued."""
    with transaction(ctx.sessions) as session:
        set_draining(session, True)
    try:
        yield
    finally:
        with transaction(ctx.sessions) as session:
            set_draining(session, False)
