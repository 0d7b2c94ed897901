"""A model's textures, checked from their image headers against the model's texture budget.

The renderer decodes every image a texture uses; what that costs is known from the
headers alone (docs/api.md, "Model limits"): the images' count, each side (larger than
``max_texture_side`` is refused — a 30000² PNG bomb is 100 KB), and the sum of their pixels
(``max_model_texels``), counted once per ``images[]`` entry even when several entries share
one file, since that is what the document asks the renderer to hold. The upload check and
the loader both run :func:`check_textures` before any pixel is decoded. Textures larger than
the renderer needs but within the limits are accepted and downscaled when decoded
(renderer/images.py).
"""

from __future__ import annotations

from typing import Any

from exchange.errors import AssetTooLarge
from exchange.extensions import extension
from exchange.gltf import GltfContainer
from exchange.images import CheckedImage, image_header, ktx2_header
from exchange.json_fields import index, objects
from exchange.limits import AssetLimits

SOURCES = (("EXT_texture_webp", False), ("KHR_texture_basisu", True))
"""Texture extensions naming an image of their own, and whether it is a KTX 2 image."""


def used_images(doc: dict[str, Any]) -> list[tuple[int, bool]]:
    """Images a texture draws from (its source, or an extension's), each with whether it
    is used as a KTX 2 image; an image used both ways is listed twice."""
    images = objects(doc, "images")
    used: set[tuple[int, bool]] = set()
    for t, texture in enumerate(objects(doc, "textures")):
        if "source" in texture:
            used.add((index(texture["source"], images, f"textures[{t}].source"), False))
        for name, ktx2 in SOURCES:
            ext = extension(texture, name, f"textures[{t}]")
            if ext is not None and "source" in ext:
                what = f"textures[{t}].extensions.{name}.source"
                used.add((index(ext["source"], images, what), ktx2))
    return sorted(used)


class TextureBudget:
    """The model's texture limits, fed one image header at a time."""

    def __init__(self, limits: AssetLimits) -> None:
        self.limits = limits
        self.texels = 0

    def add(self, header: CheckedImage, what: str) -> None:
        side = self.limits.max_texture_side
        if max(header.width, header.height) > side:
            raise AssetTooLarge(
                f"{what} is {header.width}×{header.height} pixels; a texture may be at most "
                f"{side} pixels a side"
            )
        self.texels += header.width * header.height
        if self.texels > self.limits.max_model_texels:
            raise AssetTooLarge(
                f"the model's textures hold more than {self.limits.max_model_texels:,} pixels "
                f"({self.texels:,} up to {what}; each image entry counts)"
            )


def check_textures(container: GltfContainer, limits: AssetLimits) -> None:
    images = objects(container.document, "images")
    if len(images) > limits.max_images:
        raise AssetTooLarge(
            f"the model has {len(images):,} images; the limit is {limits.max_images:,}"
        )
    headers: dict[Any, CheckedImage] = {}  # one header read per distinct view or URI
    budget = TextureBudget(limits)
    for i, ktx2 in used_images(container.document):
        image, what = images[i], f"images[{i}]"
        key = (str(image.get("bufferView")), str(image.get("uri")), ktx2)
        if key not in headers:
            with container.image_blob(i, what).open() as stream:
                headers[key] = ktx2_header(stream, what) if ktx2 else image_header(stream, what)
        budget.add(headers[key], what)
