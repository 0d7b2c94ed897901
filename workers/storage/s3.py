"""Object store on S3 / MinIO through the minio SDK."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from minio import Minio
from minio.error import S3Error

from workers.storage.base import (
    CHUNK,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    check_key,
)

PART_SIZE = 16 * 1024 * 1024
_MISSING = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}


class S3Store(ObjectStore):
    """Multipart puts (S3 objects appear whole or not at all), ranged streaming gets."""

    def __init__(self, client: Minio, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        try:
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket)
        except S3Error as exc:
            raise StorageError(f"bucket {bucket}: {exc.code}") from exc

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> int:
        self.client.fput_object(
            self.bucket, self._key(key), str(path), content_type=content_type, part_size=PART_SIZE
        )
        return path.stat().st_size

    def size(self, key: str) -> int | None:
        try:
            return int(self.client.stat_object(self.bucket, self._key(key)).size or 0)
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise StorageError(exc.code) from exc

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        length = 0 if end is None else end - start + 1
        try:
            response = self.client.get_object(
                self.bucket, self._key(key), offset=start, length=length
            )
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectNotFound(key) from exc
            raise StorageError(exc.code) from exc
        try:
            yield from response.stream(CHUNK)
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for obj in self.client.list_objects(
            self.bucket, prefix=self._key(prefix.rstrip("/")) + "/", recursive=True
        ):
            if obj.object_name:
                self.client.remove_object(self.bucket, obj.object_name)
                count += 1
        return count

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        for obj in self.client.list_objects(
            self.bucket, prefix=self._key(prefix.strip("/")) + "/", recursive=True
        ):
            if obj.object_name and obj.last_modified is not None:
                key = obj.object_name.removeprefix(self.prefix)
                yield StoredObject(key, obj.last_modified.timestamp())

    def check(self) -> None:
        try:
            self.client.bucket_exists(self.bucket)
        except Exception as exc:
            raise StorageError(f"S3 endpoint unreachable: {exc}") from exc

    def presign_get(self, key: str, expires_seconds: int = 3600) -> str | None:
        return str(
            self.client.presigned_get_object(
                self.bucket, self._key(key), expires=timedelta(seconds=expires_seconds)
            )
        )
