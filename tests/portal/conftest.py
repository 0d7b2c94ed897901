"""The portal in a real browser against a real farm: Debian's Chromium, headless, driven by
Playwright (no browser download is possible, so ``executable_path``), talking to the farm
on a uvicorn server with a render worker and a CPU worker. Screenshots of what a person
saw land in tests/portal/screenshots/ (gitignored: the artefacts of a run, CI's included)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_visit import Visit
from farms import farm_context, farm_server
from playwright.sync_api import Browser, sync_playwright

from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# WebGL for <model-viewer> on a machine without a GPU: ANGLE over SwiftShader.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, str]]:
    with (
        farm_context(tmp_path_factory.mktemp("portal-farm")) as ctx,
        farm_server(ctx, render_workers=1, cpu_workers=1) as url,
    ):
        yield ctx, url


@pytest.fixture(scope="module")
def make_token(farm: tuple[AppContext, str]) -> Callable[..., str]:
    """A new account with ``credits`` and one all-scope token for it, as ``meshfarm
    admin create-account`` and ``create-token`` make them."""
    ctx, _ = farm

    def make(credits: int = 20) -> str:
        with transaction(ctx.sessions) as session:
            account = accounts.create_account(
                session, f"portal-{uuid.uuid4().hex[:8]}@example.com", initial_credits=credits
            )
            return accounts.issue_token(session, account).token

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def visit(
    browser: Browser, farm: tuple[AppContext, str], request: pytest.FixtureRequest
) -> Iterator[Visit]:
    _, url = farm
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield Visit(page, request.node.name)
    context.close()
