"""Models through HTTP: upload, dedup, listing, tags, archive, file download, delete."""

from __future__ import annotations

import hashlib

from testdata import ASSETS


def test_upload_glb_creates_model_preview_and_charged_render(client, user, upload):
    res = upload(user, ASSETS / "Duck.glb", '{"aspect":"16:9","bgColor":"#FFFFFF","length":6}')
    assert res.status_code == 201, res.text
    body = res.json()["data"]
    assert body["duplicate"] is False
    model = client.get(f"/v1/models/{body['modelId']}", headers=user.headers).json()["data"]
    assert model["originalName"] == "Duck.glb"
    assert model["fileSize"] == (ASSETS / "Duck.glb").stat().st_size
    assert model["sha256"] == hashlib.sha256((ASSETS / "Duck.glb").read_bytes()).hexdigest()
    assert model["createdAt"].endswith("Z") and len(model["createdAt"]) == 24
    previews = [r for r in model["renders"] if r["is_system_preview"]]
    charged = [r for r in model["renders"] if r["id"] == body["renderId"]]
    assert len(previews) == 1 and len(charged) == 1
    assert charged[0]["renderSettings"]["bgColor"] == "#ffffff"
    assert charged[0]["renderSettings"]["quality"] == "share"
    account = client.get("/v1/account", headers=user.headers).json()["data"]
    assert account["credits"] == 99  # the preview is free, the share render costs 1


def test_duplicate_upload_reuses_the_model(client, user, upload):
    first = upload(user, ASSETS / "BoxTextured.glb").json()["data"]
    second = upload(user, ASSETS / "BoxTextured.glb", name="again.glb").json()["data"]
    assert second["duplicate"] is True
    assert second["modelId"] == first["modelId"]
    assert second["renderId"] != first["renderId"]
    listing = client.get("/v1/models", headers=user.headers).json()
    assert listing["meta"]["total"] == 1
    sha = hashlib.sha256((ASSETS / "BoxTextured.glb").read_bytes()).hexdigest()
    hit = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": sha})
    assert hit.json() == {"data": {"exists": True, "modelId": first["modelId"]}}
    miss = client.post("/v1/models/check-hash", headers=user.headers, json={"sha256": "0" * 64})
    assert miss.json() == {"data": {"exists": False, "modelId": None}}
    missing = client.post("/v1/models/check-hash", headers=user.headers, json={})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "sha256_required"


def test_gltf_with_data_uris_and_gltf_zip_are_accepted(client, user, upload):
    res = upload(user, ASSETS / "BoxTextured-embedded.gltf")
    assert res.status_code == 201, res.text
    res = upload(user, ASSETS / "CesiumMan.zip")
    assert res.status_code == 201, res.text


def test_obj_scan_zip_is_converted_to_glb(client, user, upload):
    res = upload(user, ASSETS / "fuze.zip", '{"aspect":"1:1","bgColor":"#ffffff","length":9}')
    assert res.status_code == 201, res.text
    model_id = res.json()["data"]["modelId"]
    file = client.get(f"/v1/models/{model_id}/file", headers=user.headers)
    assert file.status_code == 200
    assert file.headers["content-type"] == "model/gltf-binary"
    assert file.headers["content-disposition"].startswith("attachment")
    assert file.content[:4] == b"glTF"
    import json
    import struct

    json_len = struct.unpack("<I", file.content[12:16])[0]
    doc = json.loads(file.content[20 : 20 + json_len])
    rough = [m["pbrMetallicRoughness"].get("roughnessFactor") for m in doc["materials"]]
    assert rough and all(r == 1.0 for r in rough)


def test_model_file_download_returns_the_original_bytes(client, user, upload):
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    res = client.get(f"/v1/models/{model_id}/file", headers=user.headers)
    assert res.status_code == 200
    assert res.headers["content-type"] == "model/gltf-binary"
    assert 'filename="Duck.glb"' in res.headers["content-disposition"]
    assert res.content == (ASSETS / "Duck.glb").read_bytes()


def test_patch_tags_are_lowercased_trimmed_and_unicode_safe(client, user, upload):
    model_id = upload(user, ASSETS / "Duck.glb").json()["data"]["modelId"]
    res = client.patch(
        f"/v1/models/{model_id}",
        headers=user.headers,
        json={
            "title": "Ergonomic Chair Pro",
            "sku": "ECP-2001",
            "tags": [" Furniture ", "ÉTÉ", "家具"],
        },
    )
    assert res.status_code == 200, res.text
    data = res.json()["data"]
    assert data["tags"] == ["furniture", "été", "家具"]
    assert data["title"] == "Ergonomic Chair Pro" and data["sku"] == "ECP-2001"
    # only provided fields change
    res = client.patch(f"/v1/models/{model_id}", headers=user.headers, json={"sku": "X"})
    assert res.json()["data"]["title"] == "Ergonomic Chair Pro"
    assert res.json()["data"]["tags"] == ["furniture", "été", "家具"]
    too_many = client.patch(
        f"/v1/models/{model_id}", headers=user.headers, json={"tags": [f"t{i}" for i in range(21)]}
    )
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "invalid_request"
    unknown = client.patch(f"/v1/models/{model_id}", headers=user.headers, json={"owner": "x"})
    assert unknown.status_code == 400
    wrong = client.patch(f"/v1/models/{model_id}", headers=user.headers, json={"title": 5})
    assert wrong.status_code == 400


def test_list_filters_by_tags_or_and_hides_archived(client, user, upload):
    ids = [
        upload(user, ASSETS / name).json()["data"]["modelId"]
        for name in ("Duck.glb", "BoxTextured.glb", "Fox.glb")
    ]
    client.patch(f"/v1/models/{ids[0]}", headers=user.headers, json={"tags": ["furniture"]})
    client.patch(f"/v1/models/{ids[1]}", headers=user.headers, json={"tags": ["office"]})
    client.patch(f"/v1/models/{ids[2]}", headers=user.headers, json={"tags": ["animal"]})
    res = client.get("/v1/models?tags=Furniture,office", headers=user.headers).json()
    assert {m["id"] for m in res["data"]} == {ids[0], ids[1]}
    assert res["meta"] == {"total": 2, "offset": 0, "limit": 50}
    assert client.patch(f"/v1/models/{ids[0]}/archive", headers=user.headers).status_code == 200
    res = client.get("/v1/models", headers=user.headers).json()
    assert {m["id"] for m in res["data"]} == {ids[1], ids[2]}
    archived = client.get("/v1/models?archived=true", headers=user.headers).json()
    assert [m["id"] for m in archived["data"]] == [ids[0]]
    client.patch(f"/v1/models/{ids[0]}/unarchive", headers=user.headers)
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 3


def test_pagination_limits(client, user, upload):
    for name in ("Duck.glb", "BoxTextured.glb", "Fox.glb"):
        upload(user, ASSETS / name)
    page = client.get("/v1/models?limit=2&offset=1", headers=user.headers).json()
    assert len(page["data"]) == 2 and page["meta"] == {"total": 3, "offset": 1, "limit": 2}
    last = client.get("/v1/models?limit=2&offset=2", headers=user.headers).json()
    assert len(last["data"]) == 1 and last["meta"] == {"total": 3, "offset": 2, "limit": 2}
    capped = client.get("/v1/models?limit=100000", headers=user.headers).json()
    assert capped["meta"]["limit"] == 100
    far = client.get("/v1/models?offset=999999999", headers=user.headers).json()
    assert far["data"] == [] and far["meta"]["total"] == 3
    for query in ("limit=-1", "limit=0", "offset=-5", "limit=abc", "offset=99999999999999999999"):
        res = client.get(f"/v1/models?{query}", headers=user.headers)
        assert res.status_code == 400, query
        assert res.json()["error"]["code"] == "invalid_request"


def test_delete_is_soft_and_renders_stay(client, user, upload):
    body = upload(user, ASSETS / "Duck.glb").json()["data"]
    res = client.delete(f"/v1/models/{body['modelId']}", headers=user.headers)
    assert res.status_code == 200
    gone = client.get(f"/v1/models/{body['modelId']}", headers=user.headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "model_not_found"
    assert client.get(f"/v1/renders/{body['renderId']}", headers=user.headers).status_code == 200
    assert client.get("/v1/models", headers=user.headers).json()["meta"]["total"] == 0


def test_another_accounts_model_is_a_404(client, make_user, upload):
    alice, bob = make_user(), make_user()
    body = upload(alice, ASSETS / "Duck.glb").json()["data"]
    for method, path in (
        ("GET", f"/v1/models/{body['modelId']}"),
        ("PATCH", f"/v1/models/{body['modelId']}/archive"),
        ("GET", f"/v1/models/{body['modelId']}/file"),
        ("DELETE", f"/v1/models/{body['modelId']}"),
        ("GET", f"/v1/renders/{body['renderId']}"),
        ("DELETE", f"/v1/renders/{body['renderId']}"),
    ):
        res = client.request(method, path, headers=bob.headers)
        assert res.status_code == 404, (method, path)
        assert res.json()["error"]["code"] in ("model_not_found", "render_not_found")
    res = client.post("/v1/renders", headers=bob.headers, json={"modelId": body["modelId"]})
    assert res.status_code == 404 and res.json()["error"]["code"] == "model_not_found"
