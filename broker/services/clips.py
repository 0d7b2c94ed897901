"""A stored model's animation clip and material variant names, to refuse a render that
names a clip or a material variant the model lacks.

The renderer would quietly render such a render still (or fail it after the credits were
taken); refusing it when the render is asked for is what a client can act on. The names
come from the stored file's glTF JSON, read with ranged reads (a GLB's JSON chunk, or the
glTF member of a ZIP through its central directory), so an S3 store is never asked for
the whole file. Stored models never change, so the names are cached by storage key.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import IO, Any

from broker.errors import SettingRejected
from exchange.animations import clip_names
from exchange.errors import AssetInvalid, AssetUnsupported
from exchange.glb import read_glb_json
from exchange.json_doc import read_json
from exchange.limits import AssetLimits
from exchange.ranged_file import RangedFile
from exchange.safe_zip import ZipModel
from exchange.variants import variant_names
from workers.specs import RenderSpec
from workers.storage import ObjectStore, StorageError

Names = tuple[tuple[str, ...], tuple[str, ...]]
"""(clip names, material variant names)."""


def _document(fh: IO[bytes], size: int, file_format: str, limits: AssetLimits) -> dict[str, Any]:
    """The glTF JSON of a model file (``glb``, ``gltf``, or a ``zip`` holding one), read by
    the asset reader's rules: only the GLB's JSON chunk, only the ZIP's directory and the
    start of its model."""
    if file_format == "zip":
        with ZipModel(fh, limits) as archive, archive.open(archive.model) as member:
            inner = archive.model.rsplit(".", 1)[-1].lower()
            return _document(member, archive.members[archive.model].file_size, inner, limits)
    if file_format == "glb":
        return read_glb_json(fh, size, limits)[0]
    if file_format == "gltf":
        return read_json(fh, size, limits)
    raise AssetUnsupported(f"a {file_format} file holds no glTF document")


def names_of(fh: IO[bytes], size: int, file_format: str, limits: AssetLimits) -> Names | None:
    """The clip and variant names of a model file of ``size`` bytes, named as the renderer
    names them, or None when they cannot be read (then nothing is refused: the render
    reports it)."""
    try:
        doc = _document(fh, size, file_format, limits)
        return tuple(clip_names(doc)), tuple(variant_names(doc))
    except (AssetInvalid, OSError):
        return None


@lru_cache(maxsize=2048)
def _stored_names(
    store: ObjectStore, key: str, file_format: str, limits: AssetLimits
) -> Names | None:
    size = store.size(key)
    if size is None:
        return None

    def fetch(pos: int, n: int) -> bytes:
        return b"".join(store.iter_range(key, pos, pos + n - 1))

    with io.BufferedReader(RangedFile(size, fetch), buffer_size=64 * 1024) as fh:
        return names_of(fh, size, file_format, limits)


def stored_names(
    store: ObjectStore, key: str, file_format: str, limits: AssetLimits
) -> Names | None:
    try:
        return _stored_names(store, key, file_format, limits)
    except StorageError:  # not cached: the next request asks the store again
        return None


def check_animation(
    spec: RenderSpec, store: ObjectStore, key: str, file_format: str, limits: AssetLimits
) -> None:
    """Refuse (naming the model's clips or variants) an ``animation`` or
    ``material_variant`` the model stored at ``key`` lacks. ``"*"`` (the first clip) is
    always accepted: a model without clips renders still. The file is read only when a
    clip or a variant is named."""
    wanted, variant = spec.animation, spec.material_variant
    if (wanted is None or wanted == "*") and variant is None:
        return
    names = stored_names(store, key, file_format, limits)
    if names is None:
        return
    clip_names, variant_names = names
    if wanted is not None and wanted != "*" and wanted not in clip_names:
        available = ", ".join(repr(n) for n in clip_names[:50]) if clip_names else "none"
        raise SettingRejected(
            "animation",
            f"the model has no clip {wanted!r}; its clips: {available} (or '*' for the first)",
        )
    if variant is not None and variant not in variant_names:
        available = ", ".join(repr(n) for n in variant_names[:50]) if variant_names else "none"
        raise SettingRejected(
            "material_variant",
            f"the model has no variant {variant!r}; its variants: {available}",
        )
