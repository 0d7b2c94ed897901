"""A running farm for end-to-end tests: the app, the dispatcher and real worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.context import AppContext
from broker.db.migrate import upgrade
from broker.dispatcher import Dispatcher
from workers.config import Settings
from workers.local_executor import LocalExecutor


@pytest.fixture
def farm_ctx(tmp_path: Path) -> Iterator[AppContext]:
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    upgrade(url)
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", database_url=url, lease_seconds=30, _env_file=None
    )
    ctx = AppContext.from_settings(settings)
    yield ctx
    ctx.close()


@pytest.fixture
def dispatcher(farm_ctx: AppContext) -> Iterator[Dispatcher]:
    d = Dispatcher(farm_ctx, LocalExecutor(farm_ctx.settings, workers=1))
    d.start()
    yield d
    d.stop()


@pytest.fixture
def farm(farm_ctx: AppContext, dispatcher: Dispatcher) -> Iterator[TestClient]:
    with TestClient(create_app(farm_ctx), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def wait_for(farm: TestClient) -> Callable[..., dict]:
    def wait(render_id: str, headers: dict[str, str], statuses=("done", "error"), timeout=600):
        deadline = time.monotonic() + timeout
        while True:
            data = farm.get(f"/v1/renders/{render_id}", headers=headers).json()["data"]
            if data["status"] in statuses:
                return data
            assert time.monotonic() < deadline, f"render stuck in {data['status']}"
            time.sleep(0.25)

    return wait
