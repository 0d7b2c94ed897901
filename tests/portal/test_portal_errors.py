"""Every way the portal can fail a person ends in a sentence: files the farm refuses (by
the page, or by the farm with its reason), a token revoked while the page is open, and a
farm that cannot be reached or answers like a broken proxy in front of it (the last two
stood in by the browser's own request routing: the page cannot tell them from the real
thing, and a real farm cannot be made to crash on cue)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from browser_visit import Visit
from playwright.sync_api import Request, Route

from broker.context import AppContext
from broker.db.engine import transaction
from broker.security import token_prefix
from broker.services import accounts

BAD = Path(__file__).resolve().parents[1] / "assets" / "bad"
NOT_FOR_PEOPLE = re.compile(r"[{}]|Traceback|invalid_format|unauthorized|internal|\bat \w+ \(")


def sentence(text: str) -> str:
    assert text.strip() and not NOT_FOR_PEOPLE.search(text), text
    return text


def test_refused_files_are_told_in_sentences(
    visit: Visit, make_token: Callable[..., str], tmp_path: Path
) -> None:
    page = visit.page
    posted: list[str] = []

    def watch(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/v1/models"):
            posted.append(request.url)

    page.on("request", watch)
    visit.sign_in(make_token(credits=5))
    page.wait_for_selector("#dropzone")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    page.set_input_files("#upload-input", [str(notes)])
    refused = page.locator(".uploads li.failed .state")
    refused.filter(has_text="not a 3-D format").wait_for()
    assert posted == [], "the page sent a file the farm does not read"

    page.set_input_files("#upload-input", [str(BAD / "invalid_magic.glb")])
    refused.filter(has_text="bad magic bytes").wait_for()
    page.set_input_files("#upload-input", [str(BAD / "RecursiveNodes.gltf")])
    refused.filter(has_text="has a cycle").wait_for()
    for text in refused.all_inner_texts():
        sentence(text)
    assert len(posted) == 2
    visit.shot("refused-files")


def test_a_token_revoked_while_the_page_is_open_signs_it_out(
    visit: Visit, make_token: Callable[..., str], farm: tuple[AppContext, str]
) -> None:
    ctx, _ = farm
    token = make_token(credits=1)
    visit.sign_in(token)
    visit.page.wait_for_selector("#dropzone")
    # The page's first requests (models, account) must be answered before the revocation,
    # or one of them, not the click below, is the request that signs the page out.
    visit.page.locator(".models-page .note").filter(has_text="No models yet").wait_for()
    visit.page.wait_for_load_state("networkidle")
    with transaction(ctx.sessions) as session:
        accounts.revoke_token(session, token_prefix(token))
    visit.page.click("text=Account")
    message = visit.page.locator("#signin-error")
    message.filter(has_text="Sign in again").wait_for()
    sentence(message.inner_text())
    assert visit.page.evaluate("sessionStorage.length") == 0
    visit.shot("revoked")


def test_an_unreachable_or_broken_farm_is_told_in_sentences(
    visit: Visit, make_token: Callable[..., str]
) -> None:
    page = visit.page
    visit.sign_in(make_token(credits=1))
    page.wait_for_selector("#dropzone")

    page.route("**/v1/models?*", lambda route: route.abort("connectionrefused"))
    page.click("text=Account")
    page.click("text=Models")
    note = page.locator(".models-page .note")
    note.filter(has_text="could not be reached").wait_for()
    page.unroute("**/v1/models?*")

    def broken(route: Route) -> None:
        route.fulfill(
            status=500,
            content_type="text/html",
            body='<html><pre>Traceback (most recent call last):\n  File "app.py"</pre></html>',
        )

    page.route("**/v1/models?*", broken)
    page.fill("#tag-filter", "chair")
    page.press("#tag-filter", "Enter")
    note.filter(has_text="problem on its side").wait_for()
    sentence(note.inner_text())
    assert "Traceback" not in page.inner_text("body")
    visit.shot("broken-farm")


def test_signing_out_forgets_the_token_and_the_cookie(
    visit: Visit, make_token: Callable[..., str]
) -> None:
    page = visit.page
    visit.sign_in(make_token(credits=1))
    page.wait_for_selector("#dropzone")
    assert [c["name"] for c in page.context.cookies()] == ["meshfarm_portal"]
    page.reload()  # the tab keeps its session
    page.wait_for_selector("#dropzone")
    page.click("#sign-out")
    page.wait_for_selector("#signin")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.context.cookies() == []
    assert visit.problems == []


def test_a_draco_model_is_previewed_without_reaching_a_cdn(
    visit: Visit, make_token: Callable[..., str], farm: tuple[AppContext, str]
) -> None:
    """<model-viewer> fetches its Draco decoder from Google's CDN unless told otherwise; the
    portal points it at the vendor folder the Makefile fills, so the model is previewed and
    nothing leaves the farm."""
    _, url = farm
    page = visit.page
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((url, "data:", "blob:")) else elsewhere.append(r.url),
    )
    visit.sign_in(make_token(credits=2))
    page.wait_for_selector("#dropzone")
    page.set_input_files("#upload-input", [str(BAD.parent / "BoxTextured-draco.glb")])
    page.click(".uploads li.done a")
    page.click("#open-preview")
    page.wait_for_selector("#preview.loaded, #preview.failed", timeout=60_000)
    visit.shot("draco-preview")
    assert not page.is_visible("#preview.failed"), page.inner_text(".preview-status")
    assert elsewhere == []
