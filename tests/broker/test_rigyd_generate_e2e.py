"""Text and images → SimReady through the whole farm, with the generator an operator
configured (here a stand-in speaking the generator contract): the job reserves the
document's price, gets its model from the generator, builds it as any upload, and a
generator that fails fails the job with its reason and refunds it once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from generator_server import Generator, generator_server
from test_rigyd_support import BASE, auth, grant, new_key

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DUCK = (ASSETS / "Duck.glb").read_bytes()
EMAIL = "maker@example.com"
pytestmark = pytest.mark.slow


@pytest.fixture
def generator() -> Iterator[Generator]:
    with generator_server(DUCK) as server:
        yield server


@pytest.fixture
def farm(tmp_path: Path, generator: Generator) -> Iterator[tuple[TestClient, str]]:
    with farm_context(tmp_path, generator_url=generator.url) as ctx:
        key = new_key(ctx, EMAIL)
        grant(ctx, EMAIL, 10)
        with farm_client(ctx, render_workers=0, cpu_workers=1) as client:
            yield client, key


def _wait(client: TestClient, key: str, job_id: str) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 300
    while True:
        data = client.get(f"{BASE}/conversions/{job_id}", headers=auth(key)).json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.5)


def test_a_prompt_becomes_a_simready_asset(farm, generator):
    client, key = farm
    res = client.post(
        f"{BASE}/conversions/generate",
        headers=auth(key),
        data={"prompt": "a red metal toolbox with a black handle"},
    )
    assert res.status_code == 202, res.text
    job = res.json()["data"]
    assert job["job_type"] == "text_to_simready" and job["credits_charged"] == 2
    assert job["filename"] == "a red metal toolbox with a black handle"
    done = _wait(client, key, job["id"])
    assert done["status"] == "completed", done["error"]
    assert done["report"]["validation"]["simready"]["passed"]
    assert done["output"]["model"]["name"] == "a_red_metal_toolbox_with_a_black_handle.usd"
    assert generator.requests[0]["fields"] == {"prompt": "a red metal toolbox with a black handle"}


def test_images_go_to_the_generator_in_order(farm, generator):
    client, key = farm
    views = [("images[]", (n, n.encode() * 4, "image/png")) for n in ("front.png", "side.png")]
    res = client.post(f"{BASE}/conversions/generate", headers=auth(key), files=views)
    job = res.json()["data"]
    assert job["job_type"] == "multiview_to_simready" and job["credits_charged"] == 3
    done = _wait(client, key, job["id"])
    assert done["status"] == "completed", done["error"]
    assert [name for name, _ in generator.requests[0]["images"]] == ["front.png", "side.png"]
    assert [i["name"] for i in done["input"]["images"]] == ["front.png", "side.png"]
    image = client.get(done["input"]["images"][0]["url"])
    assert image.content == b"front.png" * 4


def test_a_failing_generator_fails_the_job_and_refunds_it(farm, generator):
    client, key = farm
    generator.status, generator.answer = 503, b"no GPU free"
    before = client.get(f"{BASE}/me", headers=auth(key)).json()["data"]
    res = client.post(f"{BASE}/conversions/generate", headers=auth(key), json={"prompt": "a mug"})
    done = _wait(client, key, res.json()["data"]["id"])
    assert done["status"] == "failed" and done["credits_charged"] == 0
    assert done["error"] == "Generation service unavailable: HTTP 503: no GPU free"
    after = client.get(f"{BASE}/me", headers=auth(key)).json()["data"]
    assert after["subscription"]["credits_remaining"] == before["subscription"]["credits_remaining"]
