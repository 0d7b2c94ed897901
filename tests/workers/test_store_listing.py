"""Listing a folder of the object store with each object's age (what the janitor reads), on
a local directory and on real S3 servers (moto, SeaweedFS)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from s3servers import S3_SERVERS, s3_server_named, s3_store_settings
from workers.config import Settings
from workers.storage import ObjectStore, open_store


@pytest.fixture(params=["local", *S3_SERVERS])
def store(request, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return open_store(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    server = s3_server_named(request, request.param)
    return open_store(s3_store_settings(tmp_path, server, f"mf-{uuid.uuid4().hex[:12]}/pre"))


def test_list_objects_names_every_key_under_a_folder_with_its_age(store, tmp_path):
    src = tmp_path / "x"
    src.write_bytes(b"x")
    keys = ["models/a/original.glb", "models/b/original.zip", "renders/r/attempt-1/video.mp4"]
    before = time.time()
    for key in (*keys, "modelsx/c/original.glb"):
        store.put_file(key, src)
    listed = list(store.list_objects("models"))
    assert sorted(o.key for o in listed) == keys[:2]  # not "modelsx/", nor other folders
    assert all(before - 5 < o.modified < time.time() + 5 for o in listed)
    assert [o.key for o in store.list_objects("renders/")] == keys[2:]
    assert list(store.list_objects("overlays")) == []
