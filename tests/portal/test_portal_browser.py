"""A person at the portal, in headless Chromium against a farm that renders: signing in
(and being told, in a sentence, when the token is wrong), dropping a GLB on the page,
watching its renders finish, playing the video, turning the model in the 3-D preview,
downloading the bundle, reading the ledger, and being told why a render is refused —
by the page before anything is sent, or by the API in its own words."""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
from browser_visit import Visit
from PIL import Image
from playwright.sync_api import Page, Request

ASSETS = Path(__file__).resolve().parents[1] / "assets"
BOX = ASSETS / "BoxTextured.glb"
# What a person must never read: a data structure, an error code, a program's dump.
NOT_FOR_PEOPLE = re.compile(
    r"[{}\[\]]|Traceback|invalid_settings|unauthorized|no_credits|\bat \w+ \("
)
RENDER_SECONDS = 300

DROP = """async ([name, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "model/gltf-binary" }));
  const zone = document.getElementById("dropzone");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""


def readable(text: str) -> str:
    assert text.strip(), "an empty message"
    assert not NOT_FOR_PEOPLE.search(text), f"not a sentence for a person: {text!r}"
    return text


def drop(page: Page, path: Path) -> None:
    page.evaluate(DROP, [path.name, base64.b64encode(path.read_bytes()).decode()])


def upload_and_open(visit: Visit, path: Path) -> str:
    """Drop the file on the page, follow its link; returns the model's id."""
    drop(visit.page, path)
    opened = visit.page.locator(".uploads li.done a")
    opened.wait_for()
    visit.page.wait_for_selector(".card[data-model-id]")  # the grid shows it
    opened.click()
    visit.page.wait_for_selector("#renders li")
    return visit.page.url.rsplit("/", 1)[1]


def wait_done(page: Page, count: int) -> float:
    started = time.monotonic()
    page.wait_for_function(
        f"document.querySelectorAll('#renders li.status-done').length >= {count}",
        timeout=RENDER_SECONDS * 1000,
    )
    return time.monotonic() - started


def test_a_wrong_token_is_told_in_a_sentence(visit: Visit) -> None:
    visit.sign_in("dxgl_sk_" + "0" * 40)
    message = visit.page.locator("#signin-error")
    message.filter(has_text="not accepted").wait_for()
    readable(message.inner_text())
    visit.shot("wrong-token")
    assert visit.page.evaluate("sessionStorage.length") == 0

    visit.sign_in("my password")
    message.filter(has_text="dxgl_sk_").wait_for()
    readable(message.inner_text())
    assert not visit.page.locator("#nav").is_visible()


@pytest.mark.slow
def test_upload_render_play_preview_download(visit: Visit, make_token, farm) -> None:
    _, url = farm
    page = visit.page
    ranges: list[str] = []
    elsewhere: list[str] = []

    def watch(request: Request) -> None:
        if "/video" in request.url and "range" in request.headers:
            ranges.append(request.headers["range"])
        if not request.url.startswith((url, "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", watch)
    visit.sign_in(make_token(credits=10))
    page.wait_for_selector("#dropzone")
    assert page.inner_text("#credits") == "10 credits"
    assert page.evaluate("sessionStorage.getItem('meshfarm.token')").startswith("dxgl_sk_")

    started = time.monotonic()
    drop(page, BOX)
    page.locator(".uploads li.done a").wait_for()
    # The grid shows the new model at once, and its poster as soon as a render is done.
    poster = page.locator(".card[data-model-id] .poster")
    poster.filter(has_text="rendering").wait_for()
    page.locator("#credits").filter(has_text="9 credits").wait_for()
    visit.shot("uploaded")
    poster.locator("img").wait_for(timeout=RENDER_SECONDS * 1000)
    print(f"BoxTextured's poster in the grid {time.monotonic() - started:.0f} s after the drop")
    page.click(".uploads li.done a")
    page.wait_for_selector("#renders li")
    model_id = page.url.rsplit("/", 1)[1]
    visit.shot("rendering")
    wait_done(page, 2)  # the free preview and the charged render
    print(f"both renders of BoxTextured done {time.monotonic() - started:.0f} s after the drop")
    page.wait_for_selector("#player")
    visit.shot("done")

    # The video plays, fetched with Range requests on the session cookie.
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function(
        "(() => { const v = document.getElementById('player');"
        " return v.readyState >= 2 && v.currentTime > 0.3; })()"
    )
    assert ranges, "the player made no Range request"

    # The 3-D preview loads the model and draws it.
    page.click("#open-preview")
    page.wait_for_selector("#preview.loaded", timeout=60_000)
    shot = page.evaluate("document.querySelector('#preview model-viewer').toDataURL('image/png')")
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(shot.split(",", 1)[1]))))
    assert pixels[..., 3].max() > 0 and pixels[..., :3].std() > 10, "a blank 3-D preview"
    visit.shot("preview")

    # The bundle downloads through its link, as a person saves it.
    with page.expect_download() as download:
        page.click("text=Everything (ZIP bundle)")
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert {"video.mp4", "poster.png", "thumb.mp4"} <= set(names)

    # The grid shows the model's poster and tag; the ledger shows the charge.
    page.fill("#tags-input", "Test Box, crate")
    page.click("text=Save tags")
    page.locator(".tags-form .note").filter(has_text="Saved").wait_for()
    page.click("text=Models")
    card = page.locator(f'.card[data-model-id="{model_id}"]')
    card.locator("img").wait_for()
    page.wait_for_function(
        f"document.querySelector('.card[data-model-id=\"{model_id}\"] img').naturalWidth > 0"
    )
    assert card.locator(".tag").all_inner_texts() == ["test box", "crate"]
    visit.shot("models")
    page.click("text=Account")
    page.locator("#ledger tbody tr").nth(1).wait_for()
    rows = page.locator("#ledger tbody tr").all_inner_texts()
    assert any("render done" in r for r in rows) and any("-1" in r for r in rows)
    assert any("sign-up credits" in r and "+10" in r for r in rows)
    assert page.inner_text("#account-credits") == "9 credits"
    visit.shot("account")
    assert visit.problems == []
    assert elsewhere == [], "the portal reached outside the farm"


@pytest.mark.slow
def test_a_dataset_is_ordered_and_downloaded(visit: Visit, make_token: Callable[..., str]) -> None:
    page = visit.page
    visit.sign_in(make_token(credits=5))
    page.wait_for_selector("#dropzone")
    upload_and_open(visit, BOX)
    page.wait_for_selector("form.settings")
    page.select_option("#rs-effect", "dataset")
    # The form shows the dataset's fields and none of a video's.
    assert page.is_visible("#rs-datasetQuality") and page.is_visible("#rs-coverage")
    for video_only in ("#rs-quality", "#rs-length", "#rs-bgColor", "#rs-sweepAngle"):
        assert not page.is_visible(video_only), video_only
    page.select_option("#rs-coverage", "sphere")
    page.locator("form.settings .cost").filter(has_text="costs 4 credits").wait_for()
    page.click("text=Create render")
    row = page.locator("#renders li", has_text="dataset 100x800")
    row.wait_for()
    seconds = wait_done(page, 3)
    print(f"preview, default render and 100x800 dataset done {seconds:.0f} s after the order")
    link = page.locator("#render-detail a", has_text="Download dataset")
    with page.expect_download() as download:
        link.click()
    archive = zipfile.ZipFile(download.value.path())
    names = archive.namelist()
    assert "transforms.json" in names
    assert sum(n.startswith("images/") and n.endswith(".png") for n in names) == 100
    visit.shot("dataset")
    assert visit.problems == []


def test_a_refused_render_is_told_in_a_sentence(visit: Visit, make_token, farm) -> None:
    _, url = farm
    token = make_token(credits=2)
    page = visit.page
    posted: list[str] = []

    def watch(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/v1/renders"):
            posted.append(request.url)

    page.on("request", watch)
    visit.sign_in(token)
    page.wait_for_selector("#dropzone")
    upload_and_open(visit, BOX)
    page.wait_for_selector("form.settings")

    # Refused by the page, before anything is sent, in the API's terms; the API agrees.
    for field, value, says in (
        ("#rs-length", "45", "between 3 and 30 seconds"),
        ("#rs-bgColor", "red", "six hexadecimal digits"),
        ("#rs-rotateY", "10.5", "whole number"),
        ("#rs-animationSpeed", "0", "greater than 0"),
    ):
        page.reload()
        page.wait_for_selector("form.settings")
        page.fill(field, value)
        page.click("text=Create render")
        problem = page.locator(f"{field}-error")
        problem.filter(has_text=says).wait_for()
        readable(problem.inner_text())
        name = field.removeprefix("#rs-")
        sent = float(value) if name != "bgColor" else value
        answer = requests.post(
            f"{url}/v1/renders",
            headers={"Authorization": f"Bearer {token}"},
            json={"modelId": page.url.rsplit("/", 1)[1], "renderSettings": {name: sent}},
        )
        assert answer.json()["error"]["code"] == "invalid_settings", (name, answer.text)
    assert posted == []
    visit.shot("refused-by-the-page")

    # Refused by the API: its message, as a sentence.
    page.reload()
    page.wait_for_selector("form.settings")
    page.fill("#rs-animation", "Dance")
    page.click("text=Create render")
    summary = page.locator("form.settings .form-error")
    summary.filter(has_text="animation").wait_for()
    readable(summary.inner_text())
    assert len(posted) == 1
    visit.shot("refused-by-the-api")

    # No credits left (the upload took one of two, this takes the other, then none).
    page.fill("#rs-animation", "")
    page.click("text=Create render")
    page.wait_for_function("document.querySelectorAll('#renders li').length >= 3")
    page.click("text=Create render")
    summary.filter(has_text="credits").wait_for()
    readable(summary.inner_text())
    assert visit.problems == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)",
        "Failed to load resource: the server responded with a status of 402 (Payment Required)",
    ]
