"""THE glTF container reader: a .glb, a .gltf or a ZIP holding one → a :class:`GltfContainer`.

The upload check and the renderer's loader both read models through here, so they agree
on what a file is: its framing (:mod:`exchange.glb`), its JSON (:mod:`exchange.json_doc`),
where each buffer's and image's bytes live (:mod:`exchange.uris`, :mod:`exchange.safe_zip`)
and whether each buffer and bufferView lies where it says. What the document *means* —
meshes, materials, what the renderer can draw — is :mod:`exchange.model_check`'s.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.blobs import Blob
from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from exchange.extensions import extension
from exchange.glb import is_glb, read_glb
from exchange.json_doc import read_json
from exchange.json_fields import index, integer, objects
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel, is_zip
from exchange.uris import Files, Folder, NoFiles, resolve_uri

MAX_STRIDE = 252
MESHOPT_EXTENSIONS = ("EXT_meshopt_compression", "KHR_meshopt_compression")
"""The extension (and its ratified successor) whose fallback buffers hold no data."""


@dataclass
class GltfContainer:
    """A glTF document and its data: ``buffers[i]`` holds at least ``byteLength`` bytes
    (None: a meshopt fallback buffer, deliberately without data); every bufferView lies
    inside its buffer."""

    document: dict[str, Any]
    name: str
    json_bytes: int
    files: Files
    buffers: list[Blob | None] = field(default_factory=list)

    @property
    def data_bytes(self) -> int:
        """Bytes of JSON and buffer data the file brings (what accessor budgets scale by)."""
        return self.json_bytes + sum(b.length for b in self.buffers if b is not None)

    def view_blob(self, view: int) -> Blob | None:
        """bufferViews[``view``]'s bytes (None when its buffer holds no data)."""
        v = self.document["bufferViews"][view]
        data = self.buffers[v["buffer"]]
        return None if data is None else data.window(v.get("byteOffset", 0), v["byteLength"])

    def image_blob(self, image: int, what: str) -> Blob:
        """The encoded bytes of images[``image``] (from a bufferView or its ``uri``)."""
        img = self.document["images"][image]
        if "bufferView" in img:
            view = index(img["bufferView"], objects(self.document, "bufferViews"), what)
            data = self.view_blob(view)
            if data is None:
                raise AssetInvalid(f"{what} is in a buffer that holds no data")
            return data
        if "uri" in img:
            return resolve_uri(img["uri"], what, self.files)
        raise AssetInvalid(f"{what} has neither uri nor bufferView")


def check_file_size(path: Path, limits: AssetLimits) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AssetInvalid(f"the file cannot be read ({exc.strerror})") from None
    if size == 0:
        raise AssetInvalid("the file is empty")
    if size > limits.max_file_bytes:
        raise AssetTooLarge(f"the file is {size:,} bytes; the limit is {limits.max_file_bytes:,}")
    return size


def read_gltf(
    data: Blob, name: str, limits: AssetLimits, *, binary: bool, files: Files
) -> GltfContainer:
    """The container of the GLB (``binary``) or .gltf JSON in ``data``; its buffers found
    through ``files`` (the model's external files, if it may have any)."""
    if binary:
        with data.open() as fh:
            glb = read_glb(fh, data.length, limits)
        doc, json_bytes = glb.document, glb.json_bytes
        glb_bin = None if glb.bin_offset is None else data.window(glb.bin_offset, glb.bin_length)
    else:
        with data.open() as fh:
            doc, json_bytes, glb_bin = read_json(fh, data.length, limits), data.length, None
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise AssetUnsupported("not a glTF 2.0 file (asset.version must be 2.x)")
    container = GltfContainer(doc, name, json_bytes, files)
    container.buffers = _buffers(doc, glb_bin, files)
    _check_views(doc, container.buffers)
    return container


def _buffers(doc: dict[str, Any], glb_bin: Blob | None, files: Files) -> list[Blob | None]:
    """Each buffer's data; None where it is intentionally absent (meshopt fallback)."""
    out: list[Blob | None] = []
    for i, buf in enumerate(objects(doc, "buffers")):
        length = integer(buf.get("byteLength"), f"buffers[{i}].byteLength", 1)
        uri = buf.get("uri")
        if uri is None:
            if i == 0 and glb_bin is not None:
                if glb_bin.length < length:
                    raise AssetInvalid(f"buffers[0] needs {length} bytes, GLB BIN has fewer")
                out.append(glb_bin)
            elif _is_fallback(buf, f"buffers[{i}]"):
                out.append(None)
            else:
                raise AssetInvalid(f"buffers[{i}] has no data")
            continue
        data = resolve_uri(uri, f"buffers[{i}]", files)
        if data.length < length:
            raise AssetInvalid(f"buffers[{i}] data is shorter than its byteLength")
        out.append(data)
    return out


def _is_fallback(buf: dict[str, Any], what: str) -> bool:
    return any((extension(buf, n, what) or {}).get("fallback") for n in MESHOPT_EXTENSIONS)


def _check_views(doc: dict[str, Any], buffers: list[Blob | None]) -> None:
    declared = [b["byteLength"] for b in doc.get("buffers", [])]
    for i, view in enumerate(objects(doc, "bufferViews")):
        what = f"bufferViews[{i}]"
        buf = index(view.get("buffer"), buffers, f"{what}.buffer")
        offset = integer(view.get("byteOffset", 0), f"{what}.byteOffset")
        length = integer(view.get("byteLength"), f"{what}.byteLength", 1)
        if "byteStride" in view:
            stride = integer(view["byteStride"], f"{what}.byteStride", 4)
            if stride > MAX_STRIDE:
                raise AssetInvalid(f"{what}.byteStride {stride} is larger than {MAX_STRIDE}")
        if offset + length > declared[buf]:
            raise AssetInvalid(f"{what} runs past the end of buffer {buf}")


def gltf_in_zip(archive: ZipModel, limits: AssetLimits, dest: Path | None) -> GltfContainer:
    """The archive's model (a .gltf or .glb) with its references among the members,
    extracted under ``dest`` or (None) read into memory."""
    model = archive.model
    if not model.lower().endswith((".gltf", ".glb")):
        raise AssetUnsupported("the ZIP holds no .gltf or .glb file (OBJ is converted at upload)")
    files = archive.files(dest)
    name, binary = posixpath.basename(model), model.lower().endswith(".glb")
    return read_gltf(files.member(model), name, limits, binary=binary, files=files)


@contextmanager
def open_asset(
    path: Path, limits: AssetLimits, *, files_beside: bool = False
) -> Iterator[GltfContainer]:
    """A .glb, .gltf or .zip file as a container, while the context lasts (a ZIP's members
    are read into memory as the model asks for them). ``files_beside``: a .gltf may refer
    to files in its folder; otherwise only to data URIs (a single-file upload)."""
    size = check_file_size(path, limits)
    suffix = path.suffix.lower()
    if suffix not in (".glb", ".gltf", ".zip"):
        with path.open("rb") as fh:
            head = fh.read(4)
        suffix = ".zip" if is_zip(head) else ".glb" if is_glb(head) else ".gltf"
    if suffix == ".zip":
        with ZipModel(path, limits) as archive:
            yield gltf_in_zip(archive, limits, None)
        return
    files: Files = Folder(path.parent) if files_beside else NoFiles()
    data = Blob(size, path=path)
    yield read_gltf(data, path.name, limits, binary=suffix == ".glb", files=files)
