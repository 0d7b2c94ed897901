"""Every format the converter reads is a model: POST /v1/models converts it to GLB, the
GLB is what renders (valid to the Khronos validator, a preview queued as for a GLB), and
the upload as sent stays downloadable at /v1/models/:id/original, byte for byte."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, select, text

from broker.app import create_app
from broker.context import AppContext
from broker.db.migrate import alembic_config
from broker.db.models import Job, Model, Render
from broker.janitor import sweep
from exchange import AssetLimits
from exchange.formats import READ_SUFFIXES
from health.validators import ValidatorUnavailable, validate_gltf
from testdata import ASSETS
from workers.config import Settings
from workers.local_render import render_png
from workers.specs import RenderSpec

# (file, the format it is recorded as, the content type its original is served with)
CORPUS = [
    ("teapot_binary.stl", "stl", "model/stl"),
    ("test_pos_color_ascii.ply", "ply", "application/octet-stream"),
    ("teapot_instancenodes.DAE", "dae", "model/vnd.collada+xml"),
    ("fuze.zip", "zip", "application/zip"),
    ("RoughnessTest.usdz", "usdz", "model/vnd.usdz+zip"),
    ("duck.zae", "zae", "application/octet-stream"),
    ("fbx/global_settings.fbx", "fbx", "application/octet-stream"),
]


def _skip_unless_converted(name: str) -> None:
    """Whether the converter reads the file's type is the converter's answer; FBX needs
    Blender besides (the blender_python setting)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in READ_SUFFIXES:
        pytest.skip(f"exchange.asset.read_asset does not read .{suffix} files yet")
    blender = Settings(_env_file=None).blender_python  # type: ignore[call-arg]
    if suffix == "fbx" and not Path(blender).is_file():
        pytest.skip(f"FBX is read through Blender, and {blender} is not installed")


def _post(client, user, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/v1/models", headers=user.headers, files={"file": (name, io.BytesIO(data))})


def _stored_objects(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.key for o in ctx.store.list_objects("models")]


@pytest.mark.parametrize(("name", "source_format", "media_type"), CORPUS)
def test_a_converted_upload_renders_as_glb_and_keeps_its_original(  # type: ignore[no-untyped-def]
    ctx, client, user, upload, tmp_path, name, source_format, media_type
):
    _skip_unless_converted(name)
    body = (ASSETS / name).read_bytes()
    res = upload(user, ASSETS / name)
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert data["duplicate"] is False
    model_id = data["modelId"]

    model = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]
    assert (model["originalName"], model["fileSize"], model["sha256"]) == (
        Path(name).name,
        len(body),
        hashlib.sha256(body).hexdigest(),
    )
    assert model["originalFormat"] == source_format
    previews = [r for r in model["renders"] if r["is_system_preview"]]
    assert [r["status"] for r in previews] == ["pending"]
    with ctx.sessions() as session:
        row = session.scalars(select(Model).where(Model.id == model_id)).one()
        assert (row.file_format, row.source_format) == ("glb", source_format)
        jobs = session.execute(
            select(Render.is_system_preview, Job.state)
            .join(Job, Job.id == Render.job_id)
            .where(Render.model_id == model_id)
        ).all()
    assert sorted((preview, state) for preview, state in jobs) == [
        (False, "queued"),
        (True, "queued"),
    ]

    glb = client.get(f"/v1/models/{model_id}/file", headers=user.headers)
    assert glb.status_code == 200
    assert glb.headers["content-type"] == "model/gltf-binary"
    assert glb.content[:4] == b"glTF"
    assert f'filename="{Path(name).stem}.glb"' in glb.headers["content-disposition"]
    (tmp_path / "model.glb").write_bytes(glb.content)
    try:
        verdict = validate_gltf(tmp_path / "model.glb")
    except ValidatorUnavailable as exc:
        pytest.skip(f"the glTF validator is not installed: {exc}")
    assert verdict.errors == 0, verdict.messages

    original = client.get(f"/v1/models/{model_id}/original", headers=user.headers)
    assert original.status_code == 200, original.text
    assert original.content == body
    assert original.headers["content-type"] == media_type
    assert f'filename="{Path(name).name}"' in original.headers["content-disposition"]
    assert sorted(k.rsplit("/", 1)[1] for k in _stored_objects(ctx)) == [
        "original.glb",
        f"source.{source_format}",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        *(n for n, _, _ in CORPUS if not n.endswith(".zip")),
        "fbx/huesitos.fbx",
    ],
)
def test_the_glb_of_a_converted_upload_renders_the_model(client, user, upload, tmp_path, name):  # type: ignore[no-untyped-def]
    """What the preview will draw: the served GLB, framed, covers a fair part of the frame."""
    _skip_unless_converted(name)
    model_id = upload(user, ASSETS / name).json()["data"]["modelId"]
    glb = tmp_path / "model.glb"
    glb.write_bytes(client.get(f"/v1/models/{model_id}/file", headers=user.headers).content)
    png = tmp_path / "frame.png"
    render_png(glb, png, RenderSpec(model_id=model_id, bg_color="#102030"), limits=AssetLimits())
    with Image.open(png) as img:
        pixels = np.asarray(img.convert("RGB")).astype(int)
    model = np.abs(pixels - [16, 32, 48]).sum(axis=-1) > 30
    rows, cols = np.nonzero(model)
    assert 0.1 < model.mean() < 0.6, model.mean()
    height, width = model.shape
    assert abs((cols.min() + cols.max()) / 2 - width / 2) < width * 0.1  # framed: centred
    assert abs((rows.min() + rows.max()) / 2 - height / 2) < height * 0.15


def test_a_converted_upload_is_deduplicated_by_the_hash_of_the_file_sent(client, user, upload):  # type: ignore[no-untyped-def]
    stl = ASSETS / "teapot_binary.stl"
    first = upload(user, stl).json()["data"]
    second = upload(user, stl, name="again.stl")
    assert second.status_code == 201, second.text
    assert second.json()["data"]["duplicate"] is True
    assert second.json()["data"]["modelId"] == first["modelId"]
    sha = hashlib.sha256(stl.read_bytes()).hexdigest()
    hit = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": sha})
    assert hit.json()["data"] == {"exists": True, "modelId": first["modelId"]}
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 1


def test_a_glb_upload_is_its_own_original(client, user, upload):  # type: ignore[no-untyped-def]
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    model = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]
    assert model["originalFormat"] == "glb"
    original = client.get(f"/v1/models/{model_id}/original", headers=user.headers)
    assert original.status_code == 200
    assert original.headers["content-type"] == "model/gltf-binary"
    assert 'filename="Duck.glb"' in original.headers["content-disposition"]
    assert original.content == (ASSETS / "Duck.glb").read_bytes()
    ranged = client.get(
        f"/v1/models/{model_id}/original", headers={**user.headers, "Range": "bytes=0-3"}
    )
    assert (ranged.status_code, ranged.content) == (206, b"glTF")
    head = client.head(f"/v1/models/{model_id}/original", headers=user.headers)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str((ASSETS / "Duck.glb").stat().st_size)


def test_an_obj_scan_converted_before_originals_were_kept_has_none(ctx, client, user, upload):  # type: ignore[no-untyped-def]
    model_id = upload(user, ASSETS / "fuze.zip").json()["data"]["modelId"]
    with ctx.sessions.begin() as session:  # the row as migration 0007 leaves an old scan
        row = session.scalars(select(Model).where(Model.id == model_id)).one()
        row.source_key = row.source_format = None
    res = client.get(f"/v1/models/{model_id}/original", headers=user.headers)
    assert res.status_code == 404
    error = res.json()["error"]
    assert error["code"] == "file_not_found" and "converted before" in error["message"]
    model = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]
    assert model["originalFormat"] is None
    assert client.get(f"/v1/models/{model_id}/file", headers=user.headers).status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("junk.stl", b"this is not an stl file at all\n" * 20, "STL file holds no triangles"),
        ("text.ply", b"hello world" * 30, "PLY file cannot be read"),
        ("nan.stl", b"\0" * 80 + b"\1\0\0\0" + b"\0" * 12 + b"\0\0\xc0\x7f" * 9 + b"\0\0", "NaN"),
        ("broken.dae", b"<COLLADA>nope", "COLLADA file cannot be read"),
        ("empty.ply", b"", "empty"),
    ],
)
def test_a_broken_file_is_invalid_format_with_the_readers_reason(  # type: ignore[no-untyped-def]
    ctx, client, user, name, data, needle
):
    res = _post(client, user, name, data)
    assert res.status_code == 400, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_format" and error["status"] == 400
    assert needle in error["message"], error["message"]
    assert error["message"].startswith(f"File is not a valid {Path(name).suffix[1:].upper()}")
    for leak in (str(ctx.settings.data_dir), "/tmp/", "Traceback", "convert-"):
        assert leak not in error["message"]
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 0
    assert _stored_objects(ctx) == []
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == 100


@pytest.mark.parametrize("name", ["scan.xyz", "scene.blend", "noext"])
def test_a_format_the_converter_does_not_read_is_refused_naming_those_it_reads(  # type: ignore[no-untyped-def]
    ctx, client, user, name
):
    res = _post(client, user, name, (ASSETS / "teapot_binary.stl").read_bytes())
    assert res.status_code == 400, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_format"
    assert error["message"].startswith(f"File {name!r} is not a 3D format meshfarm reads (")
    assert all(f".{suffix}" in error["message"] for suffix in READ_SUFFIXES)
    assert _stored_objects(ctx) == []


def test_an_obj_scan_keeps_its_zip_and_a_gltf_zip_is_its_own_original(client, user, upload):  # type: ignore[no-untyped-def]
    scan = upload(user, ASSETS / "fuze.zip").json()["data"]["modelId"]
    gltf = upload(user, ASSETS / "CesiumMan.zip").json()["data"]["modelId"]
    for model_id, stored in ((scan, "model/gltf-binary"), (gltf, "application/zip")):
        assert (
            client.get(f"/v1/models/{model_id}/file", headers=user.headers).headers["content-type"]
            == stored
        )
    for model_id, name in ((scan, "fuze.zip"), (gltf, "CesiumMan.zip")):
        original = client.get(f"/v1/models/{model_id}/original", headers=user.headers)
        assert original.content == (ASSETS / name).read_bytes()


def test_0007_gives_models_stored_as_uploaded_their_own_source(empty_db_url: str) -> None:
    """Before 0007 only an OBJ scan was converted, and its ZIP was not kept: a row whose
    name ends in its stored format was stored as uploaded; the others have no source."""
    cfg = alembic_config(empty_db_url)
    command.upgrade(cfg, "0006")
    engine = create_engine(empty_db_url)
    now = datetime.now(UTC)
    rows = [
        ("glb", "DUCK.GLB", "glb"),
        ("gltf", "box.gltf", "gltf"),
        ("gzip", "CesiumMan.zip", "zip"),
        ("scan", "fuze.zip", "glb"),
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, email, is_admin, suspended, balance, created_at) "
                "VALUES ('acc', 'a@example.com', false, false, 0, :now)"
            ),
            {"now": now},
        )
        for model_id, name, fmt in rows:
            conn.execute(
                text(
                    "INSERT INTO models (id, account_id, original_name, file_size, sha256, "
                    "file_format, storage_key, archived, created_at, updated_at) VALUES "
                    "(:id, 'acc', :name, 1, :sha, :fmt, :key, false, :now, :now)"
                ),
                {
                    "id": model_id,
                    "name": name,
                    "sha": model_id.ljust(64, "0"),
                    "fmt": fmt,
                    "key": f"models/{model_id}/original.{fmt}",
                    "now": now,
                },
            )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT id, source_format, source_key FROM models ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [
        ("glb", "glb", "models/glb/original.glb"),
        ("gltf", "gltf", "models/gltf/original.gltf"),
        ("gzip", "zip", "models/gzip/original.zip"),
        ("scan", None, None),
    ]


@pytest.mark.parametrize(
    ("bounds", "needle"),
    [
        ({"convert_timeout_seconds": 0.05}, "converting the STL file took longer than 0.05 s"),
        ({"convert_memory_bytes": 64 * 2**20}, "64 MB"),
    ],
)
def test_a_conversion_past_its_bounds_is_stopped_and_refused(  # type: ignore[no-untyped-def]
    app_settings, make_user, bounds, needle
):
    """The converter runs in a child under the upload's limits: past the deadline it is
    killed, past its address space it stops; either way a 400 saying so."""
    settings = Settings(**{**app_settings.model_dump(), **bounds})
    ctx = AppContext.from_settings(settings)
    try:
        user = make_user(credits=10)
        with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
            body = (ASSETS / "teapot_binary.stl").read_bytes()
            res = _post(client, user, "teapot.stl", body)
            assert res.status_code == 400, res.text
            error = res.json()["error"]
            assert error["code"] == "invalid_format" and needle in error["message"], error
            assert _stored_objects(ctx) == []
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"Kaydara FBX Binary  \x00\x1a\x00\xe8\x1c\x00\x00" + b"\x00" * 500, "cannot read"),
        (b"; FBX 7.7.0 project file\n; ----\n" * 20, "ASCII FBX is not converted"),
    ],
)
def test_a_broken_or_ascii_fbx_is_invalid_format(ctx, client, user, data, needle):  # type: ignore[no-untyped-def]
    _skip_unless_converted("model.fbx")
    res = _post(client, user, "model.fbx", data)
    assert res.status_code == 400, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_format" and needle in error["message"], error
    assert error["message"].startswith("File is not a valid FBX model")
    assert "/tmp" not in error["message"] and "Traceback" not in error["message"]
    assert _stored_objects(ctx) == []


def test_the_janitor_keeps_the_original_beside_the_glb(ctx, client, user, upload):  # type: ignore[no-untyped-def]
    upload(user, ASSETS / "teapot_binary.stl")
    before = sorted(_stored_objects(ctx))
    assert len(before) == 2
    sweep(ctx, grace_s=0, now=time.time() + 3600)  # every object is old enough to go
    assert sorted(_stored_objects(ctx)) == before
