"""A ZIP holding a USD layer and the files it refers to (Rigyd's ``*.usd[a]`` + every file
referenced via ``@./...@``): which layer is the one primary, and its asset once the archive
is unpacked where OpenUSD may read it.

A USD ZIP may hold several layers (a model that references a part); the primary is the
``.usd``/``.usda`` layer no other layer of the archive names in an asset path (``@…@``:
references, payloads, sublayers), so ``main.usda`` referencing ``./part.usda`` has one
primary. The broker asks this before any credit is taken (reading only the layers, each
at most :data:`MAX_LAYER_BYTES`); the worker unpacks the archive through the safe-ZIP
reader (its entry, size and path rules) and reads the primary with the USD reader, whose
rules keep every reference inside the primary's folder.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from exchange.asset import Asset, read_asset
from exchange.errors import AssetInvalid
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel

PRIMARY_LAYERS = (".usd", ".usda")
"""What may be a USD ZIP's primary (the seed's ``*.usd[a]``)."""
LAYERS = (*PRIMARY_LAYERS, ".usdc")
MAX_LAYER_BYTES = 16 * 1024 * 1024
"""A layer larger than this is not read for its references (it names none, as far as the
upload check knows)."""
MAX_LAYERS = 256
ASSET_PATH = re.compile(rb"@([^@\n]+)@")


def primary_layers(archive: zipfile.ZipFile, names: list[str]) -> list[str]:
    """The USD layers among ``names`` (the archive's visible files) that no other layer of
    the archive refers to: the candidates for its one primary."""
    layers = [n for n in names if n.lower().endswith(LAYERS)][:MAX_LAYERS]
    referenced: set[str] = set()
    for name in layers:
        for path in _asset_paths(archive, name):
            if "://" in path or path.startswith("/"):
                continue
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
            referenced.add(joined.split("[", 1)[0])
    return [n for n in layers if n.lower().endswith(PRIMARY_LAYERS) and n not in referenced]


def _asset_paths(archive: zipfile.ZipFile, name: str) -> list[str]:
    info = archive.getinfo(name)
    if info.file_size > MAX_LAYER_BYTES:
        return []
    try:
        data = archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return []
    if data.startswith(b"PXR-USDC"):
        return _crate_paths(data)
    return [m.decode("utf-8", "replace") for m in ASSET_PATH.findall(data)]


def _crate_paths(data: bytes) -> list[str]:
    """A binary layer's composition asset paths, by OpenUSD's own parser (no composition:
    nothing it names is opened)."""
    from pxr import Sdf

    with tempfile.TemporaryDirectory(prefix="usd-layer-") as tmp:
        path = Path(tmp) / "layer.usdc"
        path.write_bytes(data)
        layer = Sdf.Layer.OpenAsAnonymous(str(path))
        if layer is None:
            return []
        return [str(p) for p in layer.GetCompositionAssetDependencies()]


def hidden(name: str) -> bool:
    """An entry no one packed on purpose: macOS's ``__MACOSX/`` and dot files."""
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def visible_files(archive: zipfile.ZipFile) -> list[str]:
    return [i.filename for i in archive.infolist() if not i.is_dir() and not hidden(i.filename)]


def holds_usd(path: Path) -> bool:
    """Whether the archive's one model is a USD layer (else it is a glTF or an OBJ)."""
    with zipfile.ZipFile(path) as archive:
        return any(n.lower().endswith(PRIMARY_LAYERS) for n in visible_files(archive))


def read_usd_zip(path: Path, dest: Path, limits: AssetLimits) -> Asset:
    """The asset of the archive's primary layer, the archive unpacked under ``dest``."""
    with zipfile.ZipFile(path) as listed:
        found = primary_layers(listed, visible_files(listed))
    if len(found) != 1:
        raise AssetInvalid("the ZIP must hold exactly one primary .usd/.usda layer")
    with ZipModel(path, limits, suffixes=(found[0].lower(),)) as archive:
        for name in archive.members:
            archive.extract(name, dest)
        primary = archive.extract(archive.model, dest)
    return read_asset(primary, limits)
