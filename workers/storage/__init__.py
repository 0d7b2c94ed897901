"""Object storage (local directory or S3), shared by the broker and the workers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from workers.config import Settings
from workers.storage.base import ObjectNotFound, ObjectStore, StorageError
from workers.storage.local import LocalStore

__all__ = ["ObjectNotFound", "ObjectStore", "StorageError", "open_store"]


def open_store(settings: Settings) -> ObjectStore:
    """Build the store named by ``MESHFARM_STORAGE_URL`` (file:// or s3://)."""
    url = urlparse(settings.resolved_storage_url)
    if url.scheme == "file":
        return LocalStore(Path(unquote(url.path)))
    if url.scheme == "s3":
        from minio import Minio

        from workers.storage.s3 import S3Store

        if not settings.s3_endpoint:
            raise ValueError("MESHFARM_S3_ENDPOINT is required for an s3:// storage URL")
        client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            secure=settings.s3_secure,
        )
        return S3Store(client, url.netloc, url.path)
    raise ValueError(f"unsupported storage URL scheme: {url.scheme!r}")
