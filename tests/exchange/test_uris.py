"""A ``uri`` → bytes: one data-URI rule, one rule for paths that must stay in the upload."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.uris import Folder, NoFiles, relative_path, resolve_uri

DATA = bytes(range(256))
B64 = base64.b64encode(DATA).decode()


def test_base64_data_uri_is_decoded() -> None:
    for head in ("data:application/octet-stream;base64", "data:;base64", "data:image/png;base64"):
        assert resolve_uri(f"{head},{B64}", "buffers[0]", NoFiles()).read() == DATA


@pytest.mark.parametrize(
    "payload",
    [B64 + "!", B64[:-1], B64[:10] + "\n" + B64[10:], B64 + "="],
    ids=["junk", "padding", "newline", "extra-padding"],
)
def test_base64_is_decoded_strictly(payload: str) -> None:
    """The renderer used to skip what is not base64; now both sides refuse it."""
    with pytest.raises(AssetInvalid, match=r"buffers\[0\] has a malformed data URI"):
        resolve_uri(f"data:application/octet-stream;base64,{payload}", "buffers[0]", NoFiles())


def test_only_base64_data_uris() -> None:
    """The upload check used to percent-decode these; the renderer refused them."""
    with pytest.raises(AssetUnsupported, match="not base64"):
        resolve_uri("data:application/octet-stream,%00%01", "buffers[0]", NoFiles())
    with pytest.raises(AssetInvalid, match="malformed"):
        resolve_uri("data:application/octet-stream;base64", "buffers[0]", NoFiles())


def test_uri_must_be_a_string() -> None:
    with pytest.raises(AssetInvalid, match=r"images\[1\].uri must be a string"):
        resolve_uri(7, "images[1]", NoFiles())


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("a.bin", "a.bin"),
        ("sub/a%20b.bin", "sub/a b.bin"),
        ("sub\\a.bin", "sub/a.bin"),
        ("./sub/../a.bin", "a.bin"),
        ("data%2Ebin", "data.bin"),
    ],
)
def test_relative_paths_are_normalised(uri: str, path: str) -> None:
    assert relative_path(uri, "buffers[0]") == path


@pytest.mark.parametrize(
    "uri",
    [
        "../a.bin",
        "sub/../../a.bin",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "..\\a.bin",
        "http://x/a.bin",
        "file:///etc/passwd",
        "a%00.bin",
    ],
)
def test_paths_that_leave_the_upload_are_refused(uri: str) -> None:
    with pytest.raises(AssetInvalid, match="outside the upload"):
        relative_path(uri, "buffers[0]")


def test_a_single_file_upload_has_no_other_files() -> None:
    with pytest.raises(AssetInvalid, match=r"refers to an external file 'a\.bin'"):
        resolve_uri("a.bin", "buffers[0]", NoFiles())


def test_files_beside_a_model(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "a.bin").write_bytes(b"abcd")
    (tmp_path / "secret.bin").write_bytes(b"no")
    (tmp_path / "model" / "link.bin").symlink_to(tmp_path / "secret.bin")
    files = Folder(tmp_path / "model")
    assert resolve_uri("a.bin", "buffers[0]", files).read() == b"abcd"
    with pytest.raises(AssetInvalid, match=r"missing file: 'b\.bin'"):
        resolve_uri("b.bin", "buffers[0]", files)
    with pytest.raises(AssetInvalid, match="outside the upload"):
        resolve_uri("../secret.bin", "buffers[0]", files)
    with pytest.raises(AssetInvalid, match="outside the upload"):
        resolve_uri("link.bin", "buffers[0]", files)
