"""Where a glTF's bytes come from: :mod:`exchange`'s reader, its refusals as SceneErrors.

The renderer reads models exactly as the upload check does — GLB framing, bounded JSON,
data URIs, ZIP members under the safe-ZIP rules, bufferViews inside their buffers — so a
model accepted at upload is not refused here for its container. A path handed to the
renderer directly (``meshfarm render model.gltf``) may also name files beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from exchange.errors import AssetInvalid, AssetTooLarge, AssetUnsupported
from exchange.gltf import GltfContainer, open_asset
from exchange.limits import AssetLimits
from renderer.errors import InvalidModel, ModelTooLarge, SceneError, UnsupportedModel


def scene_error(exc: AssetInvalid) -> SceneError:
    """The reader's refusal as the renderer's error of the same kind, same message."""
    if isinstance(exc, AssetTooLarge):
        return ModelTooLarge(str(exc))
    if isinstance(exc, AssetUnsupported):
        return UnsupportedModel(str(exc))
    return InvalidModel(str(exc))


@contextmanager
def open_source(path: Path, limits: AssetLimits) -> Iterator[GltfContainer]:
    """The container of the .glb, .gltf or .zip at ``path`` while the context lasts; the
    reader's refusals, then or while the model is read, are SceneErrors."""
    try:
        with open_asset(path, limits, files_beside=True) as container:
            yield container
    except AssetInvalid as exc:
        raise scene_error(exc) from None
