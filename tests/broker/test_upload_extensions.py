"""glTF extensions at upload: a file that *requires* one meshfarm cannot draw is refused
naming it (before, it was accepted, charged, and failed at its first render); one the
renderer draws — a KTX2 texture through KHR_texture_basisu, meshopt geometry — passes."""

from __future__ import annotations

import io

from hostile_models import TRIANGLE, glb, triangle_doc

from testdata import ASSETS


def _post(client, user, data: bytes, name: str = "model.glb"):  # type: ignore[no-untyped-def]
    return client.post("/v1/models", headers=user.headers, files={"file": (name, io.BytesIO(data))})


def test_a_required_extension_meshfarm_cannot_draw_is_refused_by_name(client, user):  # type: ignore[no-untyped-def]
    doc = triangle_doc(extensionsUsed=["EXT_holograms"], extensionsRequired=["EXT_holograms"])
    res = _post(client, user, glb(doc, TRIANGLE))
    assert res.status_code == 400, res.text
    error = res.json()["error"]
    assert error["code"] == "invalid_format" and "EXT_holograms" in error["message"]
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 0


def test_an_optional_unknown_extension_is_accepted(client, user):  # type: ignore[no-untyped-def]
    doc = triangle_doc(extensionsUsed=["EXT_holograms"])
    assert _post(client, user, glb(doc, TRIANGLE)).status_code == 201


def test_drawable_compressed_files_pass_the_upload_check(client, user):  # type: ignore[no-untyped-def]
    ktx2 = (ASSETS / "ktx2" / "checker-uastc.ktx2").read_bytes()
    pad = b"\0" * (-len(TRIANGLE) % 4)
    doc = triangle_doc(
        extensionsUsed=["KHR_texture_basisu"],
        extensionsRequired=["KHR_texture_basisu"],
        images=[{"bufferView": 1, "mimeType": "image/ktx2"}],
        textures=[{"extensions": {"KHR_texture_basisu": {"source": 0}}}],
        materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
    )
    doc["bufferViews"].append(
        {"buffer": 0, "byteOffset": len(TRIANGLE) + len(pad), "byteLength": len(ktx2)}
    )
    doc["meshes"][0]["primitives"][0]["material"] = 0
    res = _post(client, user, glb(doc, TRIANGLE + pad + ktx2))
    assert res.status_code == 201, res.text
    meshopt = (ASSETS / "BoxMeshopt.glb").read_bytes()
    assert _post(client, user, meshopt, "BoxMeshopt.glb").status_code == 201
