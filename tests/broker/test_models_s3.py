"""The same upload / download path with the S3 object store (moto_server)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts
from testdata import ASSETS


def test_upload_and_download_through_s3(s3_settings):
    ctx = AppContext.from_settings(s3_settings)
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(session, "s3@example.com", initial_credits=10)
        token = accounts.issue_token(session, account).token
    headers = {"Authorization": f"Bearer {token}"}
    payload = (ASSETS / "Fox.glb").read_bytes()
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        res = client.post("/v1/models", headers=headers, files={"file": ("Fox.glb", payload)})
        assert res.status_code == 201, res.text
        model_id = res.json()["data"]["modelId"]
        assert ctx.store.local_path(f"models/{model_id}/original.glb") is None
        assert ctx.store.size(f"models/{model_id}/original.glb") == len(payload)
        file = client.get(f"/v1/models/{model_id}/file", headers=headers)
        assert file.status_code == 200 and file.content == payload
        assert file.headers["content-type"] == "model/gltf-binary"
        assert file.headers["content-length"] == str(len(payload))
        assert file.headers["content-disposition"].startswith("attachment")
        assert client.get("/v1/health").status_code == 200
    ctx.close()
