"""The object store on a local directory and on real S3 servers (moto, SeaweedFS)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest

from s3servers import S3_SERVERS, S3Server, s3_server_named, s3_store_settings
from workers.config import Settings
from workers.storage import ObjectNotFound, ObjectStore, StorageError, open_store
from workers.storage.local import LocalStore


def _bucket() -> str:
    return f"meshfarm-{uuid.uuid4().hex[:16]}"


@pytest.fixture(params=["local", *S3_SERVERS])
def store(request, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return open_store(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    server = s3_server_named(request, request.param)
    return open_store(s3_store_settings(tmp_path, server, f"{_bucket()}/pre"))


def test_put_size_ranges_and_delete(store: ObjectStore, tmp_path: Path):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "blob.bin"
    src.write_bytes(payload)
    assert store.put_file("renders/r1/video.mp4", src, "video/mp4") == len(payload)
    assert store.size("renders/r1/video.mp4") == len(payload)
    assert b"".join(store.iter_range("renders/r1/video.mp4")) == payload
    assert b"".join(store.iter_range("renders/r1/video.mp4", 100, 199)) == payload[100:200]
    tail_start = len(payload) - 10
    assert b"".join(store.iter_range("renders/r1/video.mp4", tail_start)) == payload[tail_start:]
    store.put_file("renders/r1/poster.png", src)
    store.put_file("renders/r2/poster.png", src)
    assert store.delete_prefix("renders/r1") == 2
    assert store.size("renders/r1/video.mp4") is None
    assert store.exists("renders/r2/poster.png")
    with pytest.raises(ObjectNotFound):
        b"".join(store.iter_range("renders/r1/video.mp4"))
    store.delete("renders/r2/poster.png")
    store.delete("renders/r2/poster.png")  # missing is fine
    assert not store.exists("renders/r2/poster.png")
    dest = store_download = tmp_path / "copy.bin"
    store.put_file("models/m/original.glb", src)
    store.download("models/m/original.glb", store_download)
    assert dest.read_bytes() == payload
    store.check()


def test_keys_cannot_escape(store: ObjectStore, tmp_path: Path):
    src = tmp_path / "x"
    src.write_bytes(b"x")
    for key in ("../x", "/etc/passwd", "a/../../b", "a//b", ""):
        with pytest.raises(ValueError):
            store.put_file(key, src)


def test_s3_presign_serves_the_object(tmp_path: Path, s3_server: S3Server):
    s3 = open_store(s3_store_settings(tmp_path, s3_server, _bucket()))
    src = tmp_path / "p.bin"
    src.write_bytes(b"hello presign")
    s3.put_file("renders/r/poster.png", src, "image/png")
    url = s3.presign_get("renders/r/poster.png", 60)
    assert url is not None
    res = httpx.get(url)
    assert res.status_code == 200 and res.content == b"hello presign"
    ranged = httpx.get(url, headers={"Range": "bytes=6-12"})
    assert ranged.status_code == 206 and ranged.content == b"presign"


def test_a_wrong_secret_is_refused(tmp_path: Path, seaweedfs: S3Server):
    """moto accepts any key; SeaweedFS checks the signature, as S3 and MinIO do."""
    good = open_store(s3_store_settings(tmp_path, seaweedfs, _bucket()))
    src = tmp_path / "x.bin"
    src.write_bytes(b"secret bytes")
    good.put_file("models/m/original.glb", src)
    bucket = good.bucket  # type: ignore[attr-defined]
    forged = S3Server(seaweedfs.endpoint, seaweedfs.access_key, "not-the-secret")
    with pytest.raises(StorageError):
        open_store(s3_store_settings(tmp_path, forged, bucket))
    assert good.size("models/m/original.glb") == len(b"secret bytes")


def test_local_write_is_atomic(tmp_path: Path, monkeypatch):
    store = LocalStore(tmp_path / "objects")
    src = tmp_path / "src.bin"
    src.write_bytes(b"a" * 10_000)
    store.put_file("k/v.bin", src)

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    src.write_bytes(b"b" * 20_000)
    with pytest.raises(OSError):
        store.put_file("k/v.bin", src)
    assert (tmp_path / "objects/k/v.bin").read_bytes() == b"a" * 10_000
    assert [p.name for p in (tmp_path / "objects/k").iterdir()] == ["v.bin"]
