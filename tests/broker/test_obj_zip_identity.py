"""An OBJ scan's model describes one file: ``fileSize`` and ``sha256`` are the uploaded ZIP's
(``check-hash`` finds the model by the hash of the file the user has); ``/file`` is the GLB."""

from __future__ import annotations

import hashlib

from testdata import ASSETS

SCAN = ASSETS / "fuze.zip"


def test_an_obj_scan_reports_the_size_and_hash_of_its_zip(client, user, upload):
    body = SCAN.read_bytes()
    model_id = upload(user, SCAN).json()["data"]["modelId"]
    model = client.get(f"/v1/models/{model_id}", headers=user.headers).json()["data"]
    assert (model["originalName"], model["fileSize"], model["sha256"]) == (
        "fuze.zip",
        len(body),
        hashlib.sha256(body).hexdigest(),
    )
    check = client.post(
        "/v1/models/check-hash", headers=user.headers, json={"sha256": model["sha256"]}
    )
    assert check.json()["data"] == {"exists": True, "modelId": model_id}
    glb = client.get(f"/v1/models/{model_id}/file", headers=user.headers)
    assert glb.status_code == 200 and glb.content[:4] == b"glTF"
    assert glb.headers["content-type"] == "model/gltf-binary"
