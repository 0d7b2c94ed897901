"""Which layer of a USD ZIP is its primary: the one ``.usd``/``.usda`` no other layer names,
whether the naming layer is text or OpenUSD's binary crate."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from workers.usd_zip import primary_layers, visible_files


def _archive(entries: dict[str, bytes]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return zipfile.ZipFile(buffer)


PART = b'#usda 1.0\ndef Xform "Part"\n{\n}\n'


def _crate_referencing(tmp_path: Path, asset: str) -> bytes:
    from pxr import Sdf, Usd

    path = tmp_path / "main.usd"
    stage = Usd.Stage.CreateNew(str(path))
    prim = stage.DefinePrim("/Main", "Xform")
    prim.GetReferences().AddReference(Sdf.Reference(asset, "/Part"))
    stage.GetRootLayer().Save()
    data = path.read_bytes()
    assert data.startswith(b"PXR-USDC")
    return data


def test_a_binary_layer_that_references_a_text_one_is_the_primary(tmp_path):
    archive = _archive(
        {"m/main.usd": _crate_referencing(tmp_path, "./parts/part.usda"), "m/parts/part.usda": PART}
    )
    assert primary_layers(archive, visible_files(archive)) == ["m/main.usd"]


def test_layers_nobody_references_are_each_a_primary_and_hidden_files_are_not(tmp_path):
    archive = _archive({"a.usda": PART, "b.usda": PART, "__MACOSX/._a.usda": b"\0\5junk"})
    assert primary_layers(archive, visible_files(archive)) == ["a.usda", "b.usda"]
