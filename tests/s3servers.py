"""The S3 servers the suite runs against (moto, SeaweedFS) and settings that point at them.

A plain module with a name unique in the test session (``tests/*/conftest.py`` share the
module name ``conftest``, so tests cannot import helpers from one of them)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from workers.config import Settings


def free_port_pair() -> int:
    """A loopback port that is free, and so is port + 10000 (SeaweedFS's gRPC port)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str


SEAWEED_KEYS = ("meshfarm-test", "meshfarm-test-secret")


S3_SERVERS = ["moto", "seaweedfs"]


def s3_server_named(request: pytest.FixtureRequest, name: str) -> S3Server:
    if name == "moto":
        return S3Server(request.getfixturevalue("moto_endpoint"), "testing", "testing")
    server: S3Server = request.getfixturevalue("seaweedfs")
    return server


def s3_store_settings(data_dir: Path, server: S3Server, bucket: str, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        storage_url=f"s3://{bucket}",
        s3_endpoint=server.endpoint,
        s3_access_key=server.access_key,
        s3_secret_key=server.secret_key,
        s3_region="us-east-1",
        s3_secure=False,
        _env_file=None,
        **extra,
    )
