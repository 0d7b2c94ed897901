"""Texture sizes, read from the encoded image's header (Pillow opens lazily: no
decoding), for the size and power-of-two checks and the engines' limits."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from exchange.asset.model import Asset, Texture


@dataclass(frozen=True)
class TextureSize:
    width: int
    height: int

    @property
    def power_of_two(self) -> bool:
        return all(n > 0 and n & (n - 1) == 0 for n in (self.width, self.height))

    @property
    def largest(self) -> int:
        return max(self.width, self.height)


def texture_size(texture: Texture) -> TextureSize | None:
    """None: the bytes are not an image Pillow can read."""
    try:
        with Image.open(io.BytesIO(texture.data)) as image:
            width, height = image.size
    except Exception:
        return None
    return TextureSize(width, height)


def texture_sizes(asset: Asset) -> list[TextureSize | None]:
    return [texture_size(t) for t in asset.textures()]
