"""Thrixel's download API on a real farm (the dispatcher, a render worker and a CPU worker
process): the seed's curl examples as written but for the base URL, and every format of
the Duck re-opened by a reader that is not meshfarm's writer."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from farms import farm_client, farm_context
from fastapi.testclient import TestClient
from PIL import Image

from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts
from health.validators import check_arkit, check_fbx, validate_gltf

ASSETS = Path(__file__).resolve().parents[1] / "assets"
API = "/thrixel/api/v1"
BLENDER = Path(__file__).resolve().parents[2] / ".venv-blender" / "bin" / "python"
needs_blender = pytest.mark.skipif(not BLENDER.is_file(), reason="no .venv-blender (make install)")


@pytest.fixture
def farm_ctx(tmp_path: Path) -> Iterator[AppContext]:
    with farm_context(tmp_path, lease_seconds=60, inline_convert_seconds=300) as ctx:
        yield ctx


@pytest.fixture
def farm(farm_ctx: AppContext) -> Iterator[TestClient]:
    with farm_client(farm_ctx, render_workers=1) as client:
        yield client


def _public_duck(farm: TestClient, farm_ctx: AppContext) -> str:
    with transaction(farm_ctx.sessions) as session:
        account = accounts.create_account(session, "thrixel@example.com", initial_credits=100)
        headers = {"Authorization": f"Bearer {accounts.issue_token(session, account).token}"}
    duck = (ASSETS / "Duck.glb").read_bytes()
    made = farm.post("/v1/models", headers=headers, files={"file": ("Duck.glb", duck)})
    assert made.status_code == 201, made.text
    model_id = str(made.json()["data"]["modelId"])
    patched = farm.patch(f"/v1/models/{model_id}", headers=headers, json={"public": True})
    assert patched.status_code == 200 and patched.json()["data"]["public"] is True
    return model_id


def _timed(farm: TestClient, url: str) -> tuple[float, bytes, str]:
    started = time.monotonic()
    answer = farm.get(url, follow_redirects=True)  # curl -L
    assert answer.status_code == 200, answer.text
    return time.monotonic() - started, answer.content, answer.headers["content-type"]


@pytest.mark.slow
@needs_blender
def test_the_seed_examples_and_every_format_of_the_duck(farm, farm_ctx, tmp_path):
    """Each format converted once inline (cold), then served from the cache; the figures
    are printed (pytest -s) for docs/api.md."""
    model_id = _public_duck(farm, farm_ctx)
    figures: dict[str, tuple[float, float]] = {}
    files: dict[str, bytes] = {}
    for fmt, media in [
        ("glb", "model/gltf-binary"),
        ("fbx", "application/octet-stream"),
        ("stl", "model/stl"),
        ("obj", "application/zip"),
    ]:
        url = f"{API}/{model_id}/download?format={fmt}"
        cold, body, content_type = _timed(farm, url)
        cached, again, _ = _timed(farm, url)
        assert content_type == media and again == body
        figures[fmt], files[fmt] = (cold, cached), body

    # POST /convert → poll → download (the seed's USDZ example)
    job = farm.post(f"{API}/convert", json={"submission_id": model_id, "format": "usdz"})
    assert job.status_code == 200 and job.json()["status"] in ("queued", "running", "ready")
    started, status = time.monotonic(), job.json()
    while status["status"] in ("queued", "running"):
        assert time.monotonic() - started < 300
        time.sleep(0.2)
        status = farm.get(status["status_url"]).json()
    assert status["status"] == "ready", status
    usdz = farm.get(status["download_url"])
    assert usdz.status_code == 200 and usdz.headers["content-type"] == "model/vnd.usdz+zip"
    cold = time.monotonic() - started
    cached, inline, _ = _timed(farm, f"{API}/{model_id}/download?format=usdz")
    assert inline == usdz.content
    figures["usdz"], files["usdz"] = (cold, cached), usdz.content

    glb = tmp_path / "duck.glb"
    glb.write_bytes(files["glb"])
    assert validate_gltf(glb).errors == 0
    fbx = tmp_path / "duck.fbx"
    fbx.write_bytes(files["fbx"])
    verdict = check_fbx(fbx)
    assert verdict.ok and verdict.textures_embedded, verdict  # the Duck keeps its texture
    stl = trimesh.load(io.BytesIO(files["stl"]), file_type="stl")
    assert len(stl.faces) > 1000 and files["stl"][:5] != b"solid"  # binary STL
    with zipfile.ZipFile(io.BytesIO(files["obj"])) as bundle:
        names = bundle.namelist()
        bundle.extractall(tmp_path / "obj")
    (obj_name,) = [n for n in names if n.endswith(".obj")]
    assert any(n.endswith(".mtl") for n in names) and any(n.endswith(".png") for n in names)
    obj = trimesh.load(tmp_path / "obj" / obj_name, force="mesh")
    assert len(obj.faces) == len(stl.faces)
    assert obj.visual.material.image is not None  # the MTL's texture, read back
    usdz_path = tmp_path / "duck.usdz"
    usdz_path.write_bytes(files["usdz"])
    assert check_arkit(usdz_path).ok

    for fmt, (cold_s, cached_s) in figures.items():
        print(f"thrixel Duck.glb {fmt}: cold {cold_s:.2f} s, cached {cached_s * 1000:.0f} ms")


@pytest.mark.slow
def test_thumbnail_and_the_six_reference_images_are_rendered_once(farm, farm_ctx):
    model_id = _public_duck(farm, farm_ctx)
    cold, thumb, media = _timed(farm, f"{API}/{model_id}/download?format=thumbnail")
    assert media == "image/png"
    cached, again, _ = _timed(farm, f"{API}/{model_id}/download?format=thumbnail")
    assert again == thumb
    views = []
    for index in range(6):
        _, body, media = _timed(
            farm, f"{API}/{model_id}/download?format=reference_image&index={index}"
        )
        assert media == "image/png"
        views.append(Image.open(io.BytesIO(body)).convert("RGB"))
    assert Image.open(io.BytesIO(thumb)).size[0] > 0
    assert len({v.tobytes() for v in views}) == 6  # six different views
    default = farm.get(f"{API}/{model_id}/download?format=reference_image")
    assert Image.open(io.BytesIO(default.content)).convert("RGB").tobytes() == views[0].tobytes()
    print(f"thrixel Duck.glb thumbnail: cold {cold:.2f} s, cached {cached * 1000:.0f} ms")
