"""A farm for the client's tests: a real uvicorn server with one render worker (one per
test module), and accounts with tokens made as `meshfarm admin` makes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from farms import farm_context, farm_server

from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts


@dataclass(frozen=True)
class Farm:
    ctx: AppContext
    url: str


@dataclass(frozen=True)
class Login:
    url: str
    token: str
    account_id: str

    @property
    def env(self) -> dict[str, str]:
        return {"MESHFARM_URL": self.url, "MESHFARM_TOKEN": self.token}


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    with (
        farm_context(tmp_path_factory.mktemp("client-farm")) as ctx,
        farm_server(ctx, render_workers=1, cpu_workers=1) as url,
    ):
        yield Farm(ctx, url)


def new_login(ctx: AppContext, url: str, credits: int = 100) -> Login:
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(
            session, f"client-{uuid.uuid4().hex[:8]}@example.com", initial_credits=credits
        )
        issued = accounts.issue_token(session, account)
    return Login(url, issued.token, account.id)


@pytest.fixture
def login(farm: Farm) -> Login:
    return new_login(farm.ctx, farm.url)


@pytest.fixture
def make_login(farm: Farm) -> Callable[..., Login]:
    return lambda credits=100: new_login(farm.ctx, farm.url, credits)
