"""A glTF ``uri`` → the bytes it names: a data URI, or a file beside the model.

One rule for each: a data URI is base64 (``data:[<type>];base64,<payload>``, strictly
decoded: RFC 4648's alphabet and padding; the percent-encoded form is refused, as the
renderer always did); a file reference is a relative path, percent-decoded, ``\\`` read as
``/``, that stays inside the upload — no scheme (``http://``), no absolute path, no ``..``
above the model's folder. Where the files come from is the caller's :class:`Files`: none
(a lone .glb or .gltf upload), a folder on disk, or a ZIP's members
(:mod:`exchange.safe_zip`).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from exchange.blobs import Blob
from exchange.errors import AssetInvalid, AssetUnsupported


class Files(Protocol):
    def blob(self, path: str, uri: str, what: str) -> Blob:
        """The file at ``path`` (checked by :func:`relative_path`); ``uri`` and ``what``
        name it in a refusal."""
        ...


def resolve_uri(uri: Any, what: str, files: Files) -> Blob:
    """The bytes ``uri`` of ``what`` (``"buffers[0]"``, ``"images[2]"``) names."""
    if not isinstance(uri, str):
        raise AssetInvalid(f"{what}.uri must be a string")
    if uri.startswith("data:"):
        return Blob.of_bytes(decode_data_uri(uri, what))
    return files.blob(relative_path(uri, what), uri, what)


def decode_data_uri(uri: str, what: str) -> bytes:
    head, comma, payload = uri.partition(",")
    if not comma:
        raise AssetInvalid(f"{what} has a malformed data URI")
    if not head.endswith(";base64"):
        raise AssetUnsupported(f"{what} has a data URI that is not base64 (glTF embeds base64)")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AssetInvalid(f"{what} has a malformed data URI") from exc


def relative_path(uri: str, what: str) -> str:
    """``uri`` as a normalised path relative to the model's folder, or a refusal."""
    rel = unquote(uri).replace("\\", "/")
    norm = posixpath.normpath(rel)
    if "://" in uri or rel.startswith("/") or "\0" in rel or norm == ".." or norm.startswith("../"):
        raise AssetInvalid(f"{what} refers to a file outside the upload: {uri!r}")
    return norm


class NoFiles:
    """A single-file upload: a reference to any other file is refused."""

    def blob(self, path: str, uri: str, what: str) -> Blob:
        raise AssetInvalid(
            f"{what} refers to an external file {uri!r}: upload a .glb, a .gltf with embedded "
            "data, or a .zip holding the .gltf with its files"
        )


class Folder:
    """Files beside a .gltf on disk (a model the renderer is handed as a path)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def blob(self, path: str, uri: str, what: str) -> Blob:
        target = (self.folder / path).resolve()
        if not target.is_relative_to(self.folder):  # a symbolic link that leads out
            raise AssetInvalid(f"{what} refers to a file outside the upload: {uri!r}")
        if not target.is_file():
            raise AssetInvalid(f"{what} refers to a missing file: {uri!r}")
        return Blob.of_file(target)
