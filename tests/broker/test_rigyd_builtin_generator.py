"""Pictures → SimReady through the whole farm with the built-in generator
(``MESHFARM_GENERATOR_URL=builtin:silhouette``): meshfarm's own four views of the duck
become a SimReady USD that passes NVIDIA's validator and has the duck's proportions; a
prompt or a single picture is refused with what the generator needs, before any credit."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from pxr import Usd, UsdGeom
from test_rigyd_generate_e2e import _wait
from test_rigyd_support import BASE, auth, grant, new_key

from health.validators.simready import validate_simready
from renderer import load_scene
from workers.views_job import render_views

ASSETS = Path(__file__).resolve().parents[1] / "assets"
EMAIL = "photographer@example.com"
VIEWS = ("front", "right", "back", "left")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The duck's front, right, back and left views as meshfarm's views job draws them."""
    files = render_views(load_scene(ASSETS / "Duck.glb"), tmp_path_factory.mktemp("views"))
    return [files[name] for name in VIEWS]


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    with farm_context(tmp_path, generator_url="builtin:silhouette") as ctx:
        key = new_key(ctx, EMAIL)
        grant(ctx, EMAIL, 10)
        with farm_client(ctx, render_workers=0, cpu_workers=1) as client:
            yield client, key


def _credits(client: TestClient, key: str) -> int:
    me = client.get(f"{BASE}/me", headers=auth(key)).json()["data"]
    return int(me["subscription"]["credits_remaining"])


def test_four_views_of_the_duck_become_a_simready_duck(farm, pictures, tmp_path):
    client, key = farm
    files = [("images[]", (p.name, p.read_bytes(), "image/png")) for p in pictures]
    res = client.post(f"{BASE}/conversions/generate", headers=auth(key), files=files)
    assert res.status_code == 202, res.text
    job = res.json()["data"]
    assert job["job_type"] == "multiview_to_simready" and job["credits_charged"] == 3
    done = _wait(client, key, job["id"])
    assert done["status"] == "completed", done["error"]
    assert done["credits_charged"] == 3
    validation = done["report"]["validation"]
    assert validation["simready"]["passed"], validation["simready"]
    assert validation["usd_physics"]["issues"] == []
    assert [image["name"] for image in done["input"]["images"]] == [f"{v}.png" for v in VIEWS]

    res = client.get(
        f"{BASE}/conversions/{job['id']}/result", headers=auth(key), params={"format": "usd"}
    )
    assert res.status_code == 200, res.text
    folder = tmp_path / "front" / "simready_usd"
    zipfile.ZipFile(io.BytesIO(res.content)).extractall(folder)
    usd = folder / done["output"]["model"]["name"]
    assert validate_simready(usd).passed

    # Recognisably the duck: the USD's box (Z up) in the proportions of the original's
    # (glTF, Y up: length x, height y, depth z), each within 15 %.
    stage = Usd.Stage.Open(str(usd))
    bound = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"]).ComputeWorldBound(
        stage.GetDefaultPrim()
    )
    lo, hi = bound.ComputeAlignedRange().GetMin(), bound.ComputeAlignedRange().GetMax()
    length, depth, height = (hi[i] - lo[i] for i in range(3))
    true_length, true_height, true_depth = trimesh.load(ASSETS / "Duck.glb", force="mesh").extents
    assert length / height == pytest.approx(true_length / true_height, rel=0.15)
    assert depth / height == pytest.approx(true_depth / true_height, rel=0.15)
    assert height == pytest.approx(0.3, rel=0.02)  # pictures carry no scale: 0.3 m tall


@pytest.mark.parametrize(
    ("asked", "words"),
    [("prompt", "A text prompt cannot be turned"), ("one picture", "One picture cannot be")],
)
def test_a_prompt_or_one_picture_is_refused_with_what_it_needs(farm, pictures, asked, words):
    client, key = farm
    before = _credits(client, key)
    if asked == "prompt":
        res = client.post(
            f"{BASE}/conversions/generate", headers=auth(key), json={"prompt": "a rubber duck"}
        )
    else:
        front = pictures[0]
        one = [("images[]", (front.name, front.read_bytes(), "image/png"))]
        res = client.post(f"{BASE}/conversions/generate", headers=auth(key), files=one)
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error.startswith(words)
    assert "needs 2 to 4 pictures of one object on a plain background" in error
    assert "front, right, back, left" in error
    assert _credits(client, key) == before
    listed = client.get(f"{BASE}/conversions", headers=auth(key)).json()
    kinds = {job["job_type"] for job in listed["data"]}
    assert not kinds & {"text_to_simready", "image_to_simready"}
