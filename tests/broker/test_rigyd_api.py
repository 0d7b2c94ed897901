"""The Rigyd conversion API as its document describes it, field by field and error by
error, with a scripted worker reporting through the real job engine (the pipeline itself
runs in tests/broker/test_rigyd_e2e.py)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_rigyd_support import (
    BASE,
    MAIN_LAYER,
    auth,
    balance,
    claim,
    fail,
    finish,
    grant,
    new_key,
    progress,
    start,
    store_output,
    usd_zip,
)

from broker.db.engine import transaction
from broker.db.models import CreditEntry, SimReadyAsset

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DUCK = (ASSETS / "Duck.glb").read_bytes()
OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EMAIL = "ann@example.com"
BUILT = {
    "model": b"#usda 1.0 fake",
    "usd/textures/texture_0.png": b"\x89PNG texture",
    "mjcf/duck.xml": b"<mujoco/>",
    "mjcf/meshes/hull_000.stl": b"solid hull",
    "mjcf_package": b"PK fake zip",
    "thumbnail": b"\x89PNG thumb",
    "report": b"{}",
}
REPORT = {"report": {"physics": {"mass_kg": 1.5}}, "input_stats": {"face_count": 12}}


@pytest.fixture
def key(ctx) -> str:  # type: ignore[no-untyped-def]
    key = new_key(ctx, EMAIL)
    grant(ctx, EMAIL, 5)
    return key


def _create(client: TestClient, key: str, name: str = "duck.glb", data: bytes = DUCK, **form):  # type: ignore[no-untyped-def]
    return client.post(
        f"{BASE}/conversions",
        headers=auth(key),
        files={"file": (name, data, "application/octet-stream")},
        data=form,
    )


def _get(client: TestClient, key: str, job_id: str) -> dict:  # type: ignore[type-arg]
    res = client.get(f"{BASE}/conversions/{job_id}", headers=auth(key))
    assert res.status_code == 200, res.text
    return res.json()["data"]


def _finished(client: TestClient, ctx, key: str, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    job_id = _create(client, key).json()["data"]["id"]
    finish(ctx, job_id, BUILT, REPORT, tmp_path)
    return job_id


def test_a_glb_is_accepted_with_the_documented_body_and_one_credit_reserved(client, ctx, key):
    res = _create(client, key, target_triangle_count="50000")
    assert res.status_code == 202, res.text
    data = res.json()["data"]
    assert set(data) == {
        "id",
        "physiq_job_id",
        "status",
        "filename",
        "progress",
        "job_type",
        "credits_charged",
        "createdAt",
    }
    assert data["status"] == "queued" and data["filename"] == "duck.glb"
    assert data["progress"] == 0 and data["job_type"] == "glb_to_simready"
    assert data["credits_charged"] == 1 and STAMP.match(data["createdAt"])
    assert balance(ctx, EMAIL) == 4
    full = _get(client, key, data["id"])
    assert full["parameters"] == {"target_triangle_count": 50000}
    assert full["preprocess"]["status"] == "skipped" and full["preprocess"]["steps"] is None


def test_the_full_payload_has_every_field_of_the_seed(client, ctx, key, tmp_path):
    job_id = _finished(client, ctx, key, tmp_path)
    data = _get(client, key, job_id)
    assert set(data) == {
        "id",
        "physiq_job_id",
        "status",
        "filename",
        "file_size_bytes",
        "stage",
        "progress",
        "error",
        "timing",
        "parameters",
        "report",
        "job_type",
        "credits_charged",
        "input",
        "preprocess",
        "output",
        "source_job",
        "simulations",
        "createdAt",
        "updatedAt",
    }
    assert data["status"] == "completed" and data["progress"] == 100 and data["error"] is None
    assert data["file_size_bytes"] == len(DUCK) and data["credits_charged"] == 1
    assert data["report"] == REPORT["report"]
    assert all(STAMP.match(data["timing"][k]) for k in ("queued_at", "completed_at"))
    out = data["output"]
    assert set(out) == {"model", "textures", "mjcf_package", "sim_video", "sim_gif", "sim_log"}
    assert out["model"]["size"] == len(BUILT["model"])
    assert out["textures"][0]["name"] == "texture_0.png"
    assert out["mjcf_package"]["name"] == "duck-mjcf.zip"
    assert out["sim_video"] is None and data["source_job"] is None and data["simulations"] == []
    assert data["input"]["model"]["name"] == "duck.glb" and data["input"]["images"] == []


def test_output_urls_are_signed_links_that_need_no_key(client, ctx, key, tmp_path):
    job_id = _finished(client, ctx, key, tmp_path)
    out = _get(client, key, job_id)["output"]
    url = out["model"]["url"]
    assert "signature=" in url and "expires=" in url
    res = client.get(url)  # no Authorization header
    assert res.status_code == 200 and res.content == BUILT["model"]
    source = client.get(_get(client, key, job_id)["input"]["model"]["url"])
    assert source.content == DUCK
    forged = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, url)
    assert client.get(forged).status_code == 403
    other = url.replace("/model?", "/mjcf_package?")
    assert client.get(other).status_code == 403  # a link opens the one file it names


def test_a_non_glb_upload_is_preprocessing_then_queued_then_running(client, ctx, key, tmp_path):
    data = _create(client, key, name="tet.obj", data=OBJ).json()["data"]
    assert data["status"] == "preprocessing"
    job_id = data["id"]
    now = _get(client, key, job_id)
    assert now["preprocess"]["status"] == "pending" and now["preprocess"]["steps"]
    lease, assignment, kind = claim(ctx, job_id)  # a runner converts it to a clean GLB
    now = _get(client, key, job_id)
    assert now["status"] == "preprocessing" and now["stage"] == "preprocess"
    pre = now["preprocess"]
    assert pre["status"] == "running" and STAMP.match(pre["started_at"])
    assert pre["completed_at"] is None and pre["intermediate_glb"] is None
    assert now["timing"]["queued_at"] is None and now["timing"]["started_at"] is None
    glb = store_output(ctx, assignment, "intermediate.glb", DUCK, tmp_path)
    progress(ctx, lease, kind, "preprocess", {"intermediate_glb": glb})
    now = _get(client, key, job_id)  # converted: handed to the SimReady pipeline
    assert now["status"] == "queued"
    pre = now["preprocess"]
    assert pre["status"] == "completed" and STAMP.match(pre["completed_at"])
    assert pre["telemetry"]["duration_ms"] >= 0
    assert pre["intermediate_glb"]["name"] == "intermediate.glb"
    assert now["timing"]["queued_at"] == pre["completed_at"]
    assert now["timing"]["started_at"] is None
    assert client.get(pre["intermediate_glb"]["url"]).content == DUCK
    progress(ctx, lease, kind, "collision_decompose")
    now = _get(client, key, job_id)
    assert now["status"] == "running" and now["stage"] == "collision_decompose"
    assert now["progress"] == 30 and STAMP.match(now["timing"]["started_at"])
    assert now["preprocess"]["intermediate_glb"]["name"] == "intermediate.glb"


def test_a_glb_is_queued_then_running_and_skips_preprocessing(client, ctx, key):
    data = _create(client, key).json()["data"]
    assert data["status"] == "queued"
    start(ctx, data["id"], "preprocess")
    now = _get(client, key, data["id"])
    assert now["status"] == "running" and now["preprocess"]["status"] == "skipped"
    assert STAMP.match(now["timing"]["started_at"])


def test_a_failed_job_is_refunded_once_and_says_why(client, ctx, key):
    job_id = _create(client, key).json()["data"]["id"]
    assert balance(ctx, EMAIL) == 4
    fail(ctx, job_id, "the model has no triangles to build a collider from")
    data = _get(client, key, job_id)
    assert data["status"] == "failed" and data["credits_charged"] == 0
    assert data["error"] == "the model has no triangles to build a collider from"
    assert balance(ctx, EMAIL) == 5
    with transaction(ctx.sessions) as session:
        row = session.get(SimReadyAsset, job_id)
        assert row is not None
        refunds = session.scalars(
            select(CreditEntry).where(
                CreditEntry.job_id == row.job_id, CreditEntry.kind == "refund"
            )
        ).all()
    assert len(refunds) == 1


def test_no_credits_is_402_and_nothing_is_kept(client, ctx):
    key = new_key(ctx, "bob@example.com")
    res = _create(client, key)
    assert res.status_code == 402 and res.json() == {"error": "Insufficient credits"}
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(SimReadyAsset)).all() == []


@pytest.mark.parametrize(
    ("name", "data", "form", "message"),
    [
        (
            "model.xyz",
            b"x",
            {},
            "Unsupported format: .xyz. Allowed: glb, gltf, fbx, obj, stl, ply, usd, usda, "
            "usdc, usdz, zip",
        ),
        (".glb", DUCK, {}, "Invalid filename"),
        ("duck.glb", DUCK, {"target_triangle_count": "10"}, None),
        ("duck.glb", DUCK, {"threshold": "2"}, None),
        ("duck.glb", DUCK, {"skip_validation": "maybe"}, None),
    ],
)
def test_bad_requests_are_400_and_charge_nothing(client, ctx, key, name, data, form, message):
    res = _create(client, key, name=name, data=data, **form)
    assert res.status_code == 400, res.text
    if message:
        assert res.json() == {"error": message}
    assert balance(ctx, EMAIL) == 5


def test_an_unknown_llm_provider_is_400_naming_the_known_ones(client, ctx, key):
    res = _create(client, key, llm_provider="gpt-17")
    assert res.status_code == 400
    assert res.json()["error"] == "Unknown llm_provider: 'gpt-17'. Available: heuristic, default"
    assert _create(client, key, llm_provider="heuristic").status_code == 202


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_needs_exactly_one_model_and_its_layout_is_echoed(client, ctx, key):
    two = _zip({"a.obj": OBJ, "b.obj": OBJ})
    res = _create(client, key, name="two.zip", data=two)
    assert res.status_code == 400
    assert res.json() == {"error": "Archive must contain exactly one .obj/.gltf/.usd file"}
    one = _zip({"scan/model.obj": OBJ, "scan/albedo.png": b"png", "__MACOSX/._model.obj": b""})
    data = _create(client, key, name="scan.zip", data=one).json()["data"]
    meta = _get(client, key, data["id"])["input"]["metadata"]
    assert meta["primary_file"] == "scan/model.obj"
    assert meta["textures"] == ["scan/albedo.png"]
    assert meta["file_tree"] == ["scan/model.obj", "scan/albedo.png"]


def test_a_zip_of_a_usd_layer_with_its_references_is_accepted(client, ctx, key):
    res = _create(client, key, name="crate.zip", data=usd_zip())
    assert res.status_code == 202, res.text
    assert res.json()["data"]["status"] == "preprocessing"
    meta = _get(client, key, res.json()["data"]["id"])["input"]["metadata"]
    assert meta["primary_file"] == "crate/crate.usda"  # body.usda is referenced by it
    assert meta["textures"] == ["crate/parts/albedo.png"]
    assert meta["file_tree"] == [
        "crate/crate.usda",
        "crate/parts/body.usda",
        "crate/parts/albedo.png",
    ]


@pytest.mark.parametrize(
    "extra",
    [{"crate/other.usda": MAIN_LAYER}, {"crate/model.obj": OBJ}],
    ids=["two-layers-nobody-references", "a-layer-and-an-obj"],
)
def test_a_usd_zip_with_two_primaries_is_400_before_any_credit(client, ctx, key, extra):
    before = balance(ctx, EMAIL)
    res = _create(client, key, name="crate.zip", data=usd_zip(extra))
    assert res.status_code == 400
    assert res.json() == {"error": "Archive must contain exactly one .obj/.gltf/.usd file"}
    assert balance(ctx, EMAIL) == before
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(SimReadyAsset)).all() == []


def test_result_zips_by_format_with_the_documented_errors(client, ctx, key, tmp_path):
    queued = _create(client, key).json()["data"]["id"]
    res = client.get(f"{BASE}/conversions/{queued}/result?format=usd", headers=auth(key))
    assert res.status_code == 409
    assert res.json() == {"error": "Job not yet completed", "status": "queued"}
    job_id = _finished(client, ctx, key, tmp_path)
    url = f"{BASE}/conversions/{job_id}/result"
    bad = client.get(url, params={"format": "fbx"}, headers=auth(key))
    assert bad.status_code == 400
    assert bad.json() == {"error": "Invalid format. Expected one of: usd, mjcf, all"}
    names = {}
    for fmt in ("usd", "mjcf", "all"):
        res = client.get(url, params={"format": fmt}, headers=auth(key))
        assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
        names[fmt] = sorted(zipfile.ZipFile(io.BytesIO(res.content)).namelist())
    assert names["usd"] == ["model", "textures/texture_0.png"]
    assert names["mjcf"] == ["duck.xml", "meshes/hull_000.stl"]
    assert names["all"] == [f"mjcf/{n}" for n in names["mjcf"]] + [f"usd/{n}" for n in names["usd"]]
    default = client.get(url, headers=auth(key))
    assert sorted(zipfile.ZipFile(io.BytesIO(default.content)).namelist()) == names["all"]
    missing = client.get(f"{BASE}/conversions/nope/result", headers=auth(key))
    assert missing.status_code == 404 and missing.json() == {"error": "Conversion job not found"}


def test_mjcf_missing_is_the_documented_404(client, ctx, key, tmp_path):
    job_id = _create(client, key).json()["data"]["id"]
    finish(ctx, job_id, {"model": b"usd"}, REPORT, tmp_path)
    res = client.get(f"{BASE}/conversions/{job_id}/result?format=mjcf", headers=auth(key))
    assert res.status_code == 404
    assert res.json() == {"error": "MJCF package is not available for this conversion"}


def test_simulate_is_free_listed_under_its_parent_and_never_of_a_simulation(
    client, ctx, key, tmp_path
):
    queued = _create(client, key).json()["data"]["id"]
    early = client.post(f"{BASE}/conversions/{queued}/simulate", json={}, headers=auth(key))
    assert early.status_code == 409
    assert early.json() == {"error": "Source job must be completed before simulation"}
    job_id = _finished(client, ctx, key, tmp_path)
    before = balance(ctx, EMAIL)
    res = client.post(
        f"{BASE}/conversions/{job_id}/simulate", json={"scene": "drop"}, headers=auth(key)
    )
    assert res.status_code == 202, res.text
    sim = res.json()["data"]
    assert sim["job_type"] == "simulate_usd" and sim["credits_charged"] == 0
    assert sim["source_job_id"] == job_id and sim["status"] == "queued"
    assert sim["filename"] == "duck.glb" and balance(ctx, EMAIL) == before
    again = client.post(f"{BASE}/conversions/{sim['id']}/simulate", headers=auth(key))
    assert again.status_code == 422
    assert again.json() == {"error": "Cannot simulate a simulation job"}
    bad = client.post(
        f"{BASE}/conversions/{job_id}/simulate", json={"scene": "orbit"}, headers=auth(key)
    )
    assert bad.status_code == 400
    finish(
        ctx,
        sim["id"],
        {"sim_video": b"mp4", "sim_gif": b"GIF89a", "sim_log": b"{}"},
        {"settled": True},
        tmp_path,
    )
    parent = _get(client, key, job_id)
    (child,) = parent["simulations"]
    assert child["id"] == sim["id"] and child["status"] == "completed"
    assert child["output"]["sim_video"]["name"] == "sim.mp4"
    full = _get(client, key, sim["id"])
    assert full["source_job"]["id"] == job_id
    assert full["output"]["sim_gif"]["size"] == len(b"GIF89a")
    assert full["report"] == {"verdict": {"settled": True}}
    listed = client.get(f"{BASE}/conversions", headers=auth(key)).json()
    assert sim["id"] not in [j["id"] for j in listed["data"]]
    only = client.get(f"{BASE}/conversions?job_type=simulate_usd", headers=auth(key)).json()
    assert [j["id"] for j in only["data"]] == [sim["id"]]


def test_the_list_pages_newest_first_with_meta(client, ctx, key):
    ids = [_create(client, key).json()["data"]["id"] for _ in range(3)]
    res = client.get(f"{BASE}/conversions?page=1&pageSize=2", headers=auth(key))
    body = res.json()
    assert body["meta"] == {"page": 1, "pageSize": 2, "pageCount": 2, "total": 3}
    assert [j["id"] for j in body["data"]] == ids[::-1][:2]
    assert set(body["data"][0]) == {
        "id",
        "physiq_job_id",
        "status",
        "filename",
        "file_size_bytes",
        "stage",
        "progress",
        "job_type",
        "credits_charged",
        "createdAt",
        "updatedAt",
    }
    big = client.get(f"{BASE}/conversions?pageSize=500", headers=auth(key)).json()
    assert big["meta"]["pageSize"] == 100
    bad = client.get(f"{BASE}/conversions?job_type=render", headers=auth(key))
    assert bad.status_code == 400


def test_another_accounts_job_is_not_found(client, ctx, key):
    job_id = _create(client, key).json()["data"]["id"]
    other = new_key(ctx, "eve@example.com")
    res = client.get(f"{BASE}/conversions/{job_id}", headers=auth(other))
    assert res.status_code == 404 and res.json() == {"error": "Conversion job not found"}


@pytest.mark.parametrize(
    ("form", "files", "status", "message"),
    [
        (
            {"prompt": "a red toolbox"},
            [("images[]", ("a.png", b"png", "image/png"))],
            422,
            "Provide either a text prompt or image(s), not both",
        ),
        ({}, None, 422, "Provide a text prompt or at least one image"),
        ({"prompt": "x" * 501}, None, 422, "Prompt must be 500 characters or less"),
        (
            {},
            [("images[]", (f"{n}.png", b"png", "image/png")) for n in range(5)],
            422,
            "Maximum 4 images are supported",
        ),
        ({}, [("images[]", ("foo.tiff", b"tiff", "image/tiff"))], 422, None),
        (
            {},
            [("images[]", ("front.jpg", b"\xff" * (10 * 1024 * 1024 + 1), "image/jpeg"))],
            413,
            "Image too large (max 10MB): front.jpg",
        ),
    ],
)
def test_generate_refuses_bad_requests_as_the_seed_lists(
    client, ctx, key, form, files, status, message
):
    url = f"{BASE}/conversions/generate"
    res = client.post(url, headers=auth(key), data=form, files=files)
    assert res.status_code == status, res.text
    if message:
        assert res.json() == {"error": message}
    else:
        assert res.json() == {"error": "Unsupported image format: foo.tiff"}
    assert balance(ctx, EMAIL) == 5


def test_generate_without_a_generator_is_refused_before_any_credit(client, ctx, key):
    for res in (
        client.post(f"{BASE}/conversions/generate", headers=auth(key), json={"prompt": "a mug"}),
        client.post(
            f"{BASE}/conversions/generate",
            headers=auth(key),
            files=[("images", ("mug.png", b"png", "image/png"))],
        ),
    ):
        assert res.status_code == 502
        error = res.json()["error"]
        assert error.startswith("Generation service unavailable: no generator is configured")
        assert "MESHFARM_GENERATOR_URL" in error
    assert balance(ctx, EMAIL) == 5
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(SimReadyAsset)).all() == []


def test_pricing_matches_what_each_job_reserves(client, ctx, key):
    prices = client.get(f"{BASE}/conversions/pricing", headers=auth(key)).json()["data"]
    before = balance(ctx, EMAIL)
    _create(client, key)
    assert before - balance(ctx, EMAIL) == prices["glb_to_simready"] == 1
    assert prices["simulate_usd"] == 0
