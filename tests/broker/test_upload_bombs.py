"""Small files that would cost a worker (or the broker) gigabytes are refused at upload.

Each case builds its hostile file here (tests/hostile_models.py) and checks what a client
sees: a 400 ``invalid_format`` (or ``file_too_large``) whose message says why, and nothing
stored, recorded or charged. The full-size replay, with the broker's and the workers'
memory, is bench/bombs_bench.py.
"""

from __future__ import annotations

import io
import struct
import zipfile

import hostile_models as hm
import pytest
from sqlalchemy import func, select

from broker.db.models import Model


def _post(client, user, name: str, payload: bytes):
    return client.post("/v1/models", headers=user.headers, files={"file": (name, payload)})


def _refused(ctx, client, user, name: str, payload: bytes, needle: str, code="invalid_format"):
    res = _post(client, user, name, payload)
    assert res.status_code == 400, res.text
    error = res.json()["error"]
    assert error["code"] == code, error
    assert needle in error["message"], error["message"]
    objects = ctx.settings.data_dir / "objects"
    assert not [p for p in objects.rglob("*") if p.is_file()], "an object was stored"
    assert not [p for p in ctx.settings.tmp_dir.rglob("*") if p.is_file()], "a temp file leaked"
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Model)) == 0
    assert client.get("/v1/account", headers=user.headers).json()["data"]["credits"] == 100
    return error["message"]


def _accepted(client, user, name: str, payload: bytes) -> dict:
    res = _post(client, user, name, payload)
    assert res.status_code == 201, res.text
    return res.json()["data"]


# -- textures ----------------------------------------------------------------------------


def test_many_images_sharing_one_png_count_each(ctx, client, user):
    """The issue's GLB: twelve images entries, one 8192² PNG (here: its header only)."""
    glb = hm.textured_glb(hm.png_header(8192, 8192), images=12)
    _refused(ctx, client, user, "images.glb", glb, "textures hold more than 268,435,456 pixels")


def test_texture_over_the_side_limit(ctx, client, user):
    glb = hm.textured_glb(hm.png_header(8193, 16))
    _refused(ctx, client, user, "wide.glb", glb, "at most 8192 pixels a side")


def test_png_bomb_texture(ctx, client, user):
    glb = hm.textured_glb(hm.png(30000, 30000, gray1=True))
    assert len(glb) < 120_000
    _refused(ctx, client, user, "bomb.glb", glb, "claims more than")


def test_image_count_limit(ctx, client, user):
    ctx.settings.max_images = 10
    glb = hm.textured_glb(hm.png(2, 2), images=11)
    _refused(ctx, client, user, "imgs.glb", glb, "11 images; the limit is 10")


@pytest.mark.parametrize(
    "image",
    [b"not an image " * 64, hm.png(64, 64)[:-20], b"GIF89a" + b"\0" * 64],
    ids=["junk", "truncated-png", "gif"],
)
def test_texture_that_is_not_an_image(ctx, client, user, image):
    glb = hm.textured_glb(image)
    _refused(ctx, client, user, "junk.glb", glb, "images[0] is not a readable PNG, JPEG or WebP")


def test_textures_within_limits_are_accepted(client, user):
    _accepted(client, user, "ok.glb", hm.textured_glb(hm.png(64, 64), images=3))


# -- accessors ---------------------------------------------------------------------------


def test_zero_filled_accessor(ctx, client, user):
    """536 bytes that made a worker allocate 1.6 GB of zeros."""
    glb = hm.zero_accessor_glb(100_000_000)
    assert len(glb) < 600
    message = _refused(ctx, client, user, "zero.glb", glb, "the accessors describe")
    assert "1,600,000,036 bytes" in message and "at most 67,108,864" in message


def test_accessor_count_two_to_the_31(ctx, client, user):
    glb = hm.zero_accessor_glb(2**31, attribute="TEXCOORD_0", kind="VEC2")
    _refused(ctx, client, user, "count.glb", glb, "accessors[1].count is 2,147,483,648")


def test_sparse_accessor_bomb(ctx, client, user):
    _refused(ctx, client, user, "sparse.glb", hm.sparse_accessor_glb(50_000_000), "describe")


def test_small_sparse_accessor_is_accepted(client, user):
    _accepted(client, user, "sparse.glb", hm.sparse_accessor_glb(3))


def test_attribute_count_must_match_the_vertices(ctx, client, user):
    glb = hm.zero_accessor_glb(4)
    _refused(ctx, client, user, "color.glb", glb, "COLOR_0 has 4 elements but the primitive has 3")


def test_accessor_budget_follows_the_file_size(ctx, client, user):
    """32 bytes of accessor data per byte of the file, and at least 64 MB whatever its size."""
    glb = hm.zero_accessor_glb(2000)  # 32 KB of zeros declared by a 500-byte file
    _refused(ctx, client, user, "z.glb", glb, "COLOR_0 has 2,000 elements")  # within 64 MB
    ctx.settings.accessor_bytes_floor = 0
    message = _refused(ctx, client, user, "z.glb", glb, "the accessors describe 32,036 bytes")
    assert f"at most {32 * (len(glb) - 28):,}" in message  # its JSON and BIN chunks


def test_drawn_triangles_over_the_limit(ctx, client, user):
    glb = hm.instanced_glb(1000, 4001)  # 4,001,000 triangles from 48 KB of indices
    _refused(ctx, client, user, "inst.glb", glb, "draws 4,001,000 triangles; the limit is")


# -- JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (hm.deep_json(100_000), "nested more than 64 levels deep"),
        (hm.deep_json(100), "nested more than 64 levels deep"),
        (hm.big_int_json(5000), "5000-digit integer"),
        (hm.gltf_json().replace(b'"nodes": [{"mesh": 0}]', b'"nodes": [{"mesh": 1e999}]'), "float"),
    ],
    ids=["100000-deep", "100-deep", "5000-digits", "1e999"],
)
def test_json_bombs(ctx, client, user, raw, needle):
    _refused(ctx, client, user, "m.gltf", raw, needle)


def test_nan_translation(ctx, client, user):
    doc = hm.triangle_doc()
    doc["nodes"][0]["translation"] = [float("nan"), 0, 0]
    _refused(ctx, client, user, "nan.gltf", hm.gltf_json(doc), "NaN, which is not a JSON number")
    doc["nodes"][0]["translation"] = ["0", 0, 0]
    _refused(ctx, client, user, "str.gltf", hm.gltf_json(doc), "translation must be an array of 3")


def test_node_limit(ctx, client, user):
    ctx.settings.max_nodes = 10
    doc = hm.triangle_doc()
    doc["nodes"] += [{} for _ in range(10)]
    _refused(ctx, client, user, "n.gltf", hm.gltf_json(doc), "11 nodes; the limit is 10")


# -- ZIP ---------------------------------------------------------------------------------

OBJ = hm.OBJ_TRIANGLE + b"f 1 2 3\n"


@pytest.mark.parametrize(
    ("entries", "encrypted", "needle"),
    [
        ({"": b"x", "m.obj": OBJ}, None, "unsafe path in ZIP: ''"),
        ({".": b"x", "m.obj": OBJ}, None, "unsafe path in ZIP: '.'"),
        ({"m.obj": OBJ}, "m.obj", "ZIP entry 'm.obj' is encrypted"),
        ({"a": b"x", "a/b.bin": b"y", "m.obj": OBJ}, None, "both a file and a folder named 'a'"),
        ({"m.obj": OBJ, "x/../m.obj": OBJ}, None, "unsafe path"),
    ],
    ids=["empty-name", "dot", "encrypted", "file-and-folder", "dotdot"],
)
def test_zip_entries_that_are_not_files(ctx, client, user, entries, encrypted, needle):
    archive = hm.zip_bytes(entries)
    if encrypted:
        archive = hm.encrypt_flag(archive, encrypted)
    _refused(ctx, client, user, "scan.zip", archive, needle)


def test_zip_with_two_entries_of_one_name(ctx, client, user):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("m.obj", OBJ)
        zf.writestr("m.obj", OBJ)
    _refused(ctx, client, user, "dup.zip", buf.getvalue(), "two entries named 'm.obj'")


def _stored_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("model_name", "model"),
    [("scan.obj", OBJ), ("model.gltf", hm.gltf_json())],
    ids=["obj", "gltf"],
)
def test_zip_members_the_model_does_not_use_are_never_read(client, user, model_name, model):
    """Before, every member was expanded to disk (a 510 KB ZIP wrote 500 MB): a corrupt
    member that nothing references made the whole upload fail."""
    stored = _stored_zip({model_name: model, "junk.bin": b"x" * 4096})
    archive = hm.corrupt_member(stored, "junk.bin")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(archive)).read("junk.bin")
    _accepted(client, user, "scan.zip", archive)


def test_zip_texture_of_a_gltf_is_checked_from_its_header(ctx, client, user):
    doc = hm.triangle_doc()
    doc.update(
        images=[{"uri": "tex.png"}],
        textures=[{"source": 0}],
        materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
    )
    doc["meshes"][0]["primitives"][0]["material"] = 0
    archive = hm.zip_bytes({"m.gltf": hm.gltf_json(doc), "tex.png": hm.png_header(9000, 9000)})
    _refused(ctx, client, user, "m.zip", archive, "images[0] is 9000×9000 pixels")


# -- OBJ ---------------------------------------------------------------------------------


def test_obj_over_the_triangle_limit(ctx, client, user):
    ctx.settings.max_triangles = 1000
    archive = hm.obj_zip(1001)
    _refused(ctx, client, user, "scan.zip", archive, "the OBJ has more than 1,000 triangles")


def test_obj_over_the_vertex_limit(ctx, client, user):
    ctx.settings.max_vertices = 2
    _refused(ctx, client, user, "scan.zip", hm.obj_zip(1), "more than 2 vertices")


@pytest.mark.slow
def test_obj_of_4_million_faces_is_refused_quickly(ctx, client, user):
    """The issue's 146 KB ZIP cost the broker 2 GB and 18 s; now the count stops it."""
    import time

    archive = hm.obj_zip(4_200_000)
    t0 = time.monotonic()
    _refused(ctx, client, user, "scan.zip", archive, "the OBJ has more than 4,000,000 triangles")
    assert time.monotonic() - t0 < 10


def _textured_obj(texture: bytes) -> bytes:
    return hm.zip_bytes(
        {
            "scan.obj": b"mtllib scan.mtl\nusemtl m\n"
            + hm.OBJ_TRIANGLE
            + b"vt 0 0\nf 1/1 2/1 3/1\n",
            "scan.mtl": b"newmtl m\nmap_Kd tex.png\n",
            "tex.png": texture,
        }
    )


def test_obj_texture_checked_from_its_header(ctx, client, user):
    """A 2 KB ZIP naming a 9000² texture cost the broker 0.88 GB."""
    archive = _textured_obj(hm.png_header(9000, 9000))
    _refused(ctx, client, user, "scan.zip", archive, "'tex.png' is 9000×9000 pixels")


def test_textured_obj_converts(client, user):
    _accepted(client, user, "scan.zip", _textured_obj(hm.png(16, 16)))


def test_obj_conversion_has_a_deadline(ctx, client, user):
    ctx.settings.convert_timeout_seconds = 0.01
    _refused(ctx, client, user, "scan.zip", hm.obj_zip(10), "converting the OBJ took longer than")


def test_obj_conversion_has_a_memory_ceiling(ctx, client, user):
    """The conversion runs in its own process under RLIMIT_AS (it ran in the broker).
    Where the ceiling is hit decides the wording (a MemoryError the child reports, or a
    child that dies); both name the limit."""
    ctx.settings.convert_memory_bytes = 64 * 1024 * 1024
    _refused(ctx, client, user, "scan.zip", hm.obj_zip(10), "64 MB")


def test_png_header_helper_is_what_pillow_reads():
    from PIL import Image

    with Image.open(io.BytesIO(hm.png_header(9000, 7))) as img:
        assert img.size == (9000, 7)
    assert struct.unpack(">I", hm.png(3, 2)[16:20])[0] == 3
