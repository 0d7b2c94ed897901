"""The clip and variant names of a stored model, read through the asset reader by ranged
reads: a GLB's JSON chunk, a ZIP's directory and the start of its model — never the whole
object — and cached by storage key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import hostile_models as hm
import pytest

from broker.services.clips import stored_names
from exchange.limits import AssetLimits
from testdata import ASSETS
from workers.storage.local import LocalStore

MB = 1024 * 1024


class CountingStore(LocalStore):
    """A local store that counts the bytes it is asked for."""

    read = 0

    def iter_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        for chunk in super().iter_range(key, start, end):
            self.read += len(chunk)
            yield chunk


def _animated_glb(padding: int) -> bytes:
    """Two named clips (and one unnamed) before ``padding`` incompressible BIN bytes."""
    doc = hm.triangle_doc(animations=[{"name": "Walk"}, {"name": "Run"}, {}])
    return hm.glb(doc, hm.TRIANGLE + os.urandom(padding))


@pytest.mark.parametrize(
    ("name", "payload", "fmt"),
    [
        ("model.glb", _animated_glb(4 * MB), "glb"),
        ("model.zip", hm.zip_bytes({"scan/model.glb": _animated_glb(4 * MB)}, level=1), "zip"),
    ],
)
def test_a_big_model_is_read_by_its_json_only_and_once(
    tmp_path: Path, name: str, payload: bytes, fmt: str
) -> None:
    store = CountingStore(tmp_path / "store")
    source = tmp_path / name
    source.write_bytes(payload)
    key = f"models/{fmt}-big/original.{fmt}"
    store.put_file(key, source)
    names = stored_names(store, key, fmt, AssetLimits())
    assert names == (("Walk", "Run", "animation2"), ())
    assert 0 < store.read < 512 * 1024 < len(payload)
    read = store.read
    assert stored_names(store, key, fmt, AssetLimits()) == names
    assert store.read == read  # cached by key: the store is not asked again


@pytest.mark.parametrize(
    ("name", "fmt", "payload", "names"),
    [
        ("Fox.glb", "glb", None, (("Survey", "Walk", "Run"), ())),
        ("CesiumMan.zip", "zip", None, (("animation0",), ())),
        ("BoxTextured-embedded.gltf", "gltf", None, ((), ())),
        ("variants.gltf", "gltf", hm.variants_gltf({"material": 1}), ((), ("Ruby",))),
        ("broken.glb", "glb", b"glTF not really", None),
        ("too-deep.gltf", "gltf", hm.deep_json(100), None),
    ],
)
def test_names_as_the_renderer_names_them(
    tmp_path: Path, name: str, fmt: str, payload: bytes | None, names: object
) -> None:
    store = LocalStore(tmp_path / "store")
    source = ASSETS / name if payload is None else tmp_path / name
    if payload is not None:
        source.write_bytes(payload)
    key = f"models/{name}/original.{fmt}"
    store.put_file(key, source)
    assert stored_names(store, key, fmt, AssetLimits()) == names
