"""KTX 2 images with Basis Universal payloads (KHR_texture_basisu) → RGBA8 arrays.

Transcoded with Basis Universal's own transcoder (the ``opengl_basisu`` binding) to
plain RGBA8, so a KTX2 texture then travels the same path as a PNG: mipmaps built on the
GPU, sRGB decoding by the texture format. The size its header claims was held to the
model's limits by the loader (:func:`exchange.textures.check_textures`) before any block
is transcoded.
"""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage

from renderer import limits
from renderer.errors import InvalidModel, UnsupportedModel


def decode_ktx2(data: bytes, label: str) -> np.ndarray:
    """Mip level 0 of a KTX2 image as H×W×4 uint8 (top row first, as glTF stores it)."""
    try:
        import opengl_basisu
    except ImportError:  # pragma: no cover - a dependency of the project
        raise UnsupportedModel(
            f"{label} is a KTX2 image (KHR_texture_basisu) and no Basis decoder is installed"
        ) from None
    try:
        texture = opengl_basisu.open(data)
        width, height = texture.width, texture.height
        image = texture.transcode(opengl_basisu.Target.RGBA8)
        pixels = np.frombuffer(bytes(image.data), dtype=np.uint8).reshape(height, width, 4)
    except (opengl_basisu.BasisuError, ValueError) as exc:
        raise InvalidModel(f"{label} is not a KTX2 image we can transcode: {exc}") from None
    if max(width, height) > limits.MAX_TEXTURE_SIDE:
        img = PILImage.fromarray(pixels)
        img.thumbnail((limits.MAX_TEXTURE_SIDE, limits.MAX_TEXTURE_SIDE))
        pixels = np.asarray(img)
    return pixels
