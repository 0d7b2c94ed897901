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
import json
import struct
import zipfile
from functools import lru_cache
from typing import IO, Any

from broker.errors import SettingRejected
from broker.ingest.ranged_file import RangedFile
from workers.specs import RenderSpec
from workers.storage import ObjectStore, StorageError

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A


Names = tuple[tuple[str, ...], tuple[str, ...]]
"""(clip names, material variant names)."""


def _names(doc: Any) -> Names:
    """Named as the renderer names them: an unnamed clip is ``animation<index>``."""
    if not isinstance(doc, dict):
        return (), ()
    clips = doc.get("animations")
    clip_names = (
        tuple(
            str(clip.get("name", f"animation{index}"))
            for index, clip in enumerate(clips)
            if isinstance(clip, dict)
        )
        if isinstance(clips, list)
        else ()
    )
    ext = (doc.get("extensions") or {}) if isinstance(doc.get("extensions"), dict) else {}
    variants = (ext.get("KHR_materials_variants") or {}).get("variants")
    variant_names = (
        tuple(str(v.get("name", "")) for v in variants if isinstance(v, dict))
        if isinstance(variants, list)
        else ()
    )
    return clip_names, variant_names


def _glb_json(fh: IO[bytes], max_json: int) -> Any:
    header = fh.read(20)
    if len(header) < 20 or header[:4] != GLB_MAGIC:
        return None
    length, kind = struct.unpack("<II", header[12:20])
    if kind != CHUNK_JSON or length > max_json:
        return None
    return json.loads(fh.read(length))


def names_of(fh: IO[bytes], file_format: str, max_json: int) -> Names | None:
    """The clip and variant names of a model file (``glb``, ``gltf`` or a ``zip`` holding one), or
    None when they cannot be read (then nothing is refused: the render reports it)."""
    try:
        if file_format == "glb":
            return _names(_glb_json(fh, max_json))
        if file_format == "gltf":
            raw = fh.read(max_json + 1)
            return _names(json.loads(raw)) if len(raw) <= max_json else None
        if file_format == "zip":
            with zipfile.ZipFile(fh) as zf:
                members = [
                    i for i in zf.infolist() if i.filename.lower().endswith((".gltf", ".glb"))
                ]
                if len(members) != 1 or members[0].file_size > max_json:
                    return None
                with zf.open(members[0]) as member:
                    inner = "glb" if members[0].filename.lower().endswith(".glb") else "gltf"
                    return names_of(member, inner, max_json)
    except (OSError, ValueError, zipfile.BadZipFile, RecursionError):
        return None
    return None


@lru_cache(maxsize=2048)
def _stored_names(store: ObjectStore, key: str, file_format: str, max_json: int) -> Names | None:
    size = store.size(key)
    if size is None:
        return None

    def fetch(pos: int, n: int) -> bytes:
        return b"".join(store.iter_range(key, pos, pos + n - 1))

    with io.BufferedReader(RangedFile(size, fetch), buffer_size=64 * 1024) as fh:
        return names_of(fh, file_format, max_json)


def stored_names(store: ObjectStore, key: str, file_format: str, max_json: int) -> Names | None:
    try:
        return _stored_names(store, key, file_format, max_json)
    except StorageError:  # not cached: the next request asks the store again
        return None


def check_animation(
    spec: RenderSpec, store: ObjectStore, key: str, file_format: str, max_json: int
) -> None:
    """Refuse (naming the model's clips or variants) an ``animation`` or
    ``material_variant`` the model stored at ``key`` lacks. ``"*"`` (the first clip) is
    always accepted: a model without clips renders still. The file is read only when a
    clip or a variant is named."""
    wanted, variant = spec.animation, spec.material_variant
    if (wanted is None or wanted == "*") and variant is None:
        return
    names = stored_names(store, key, file_format, max_json)
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
