"""A model's textures, checked from their image headers against the model's texture budget.

The renderer decodes every image a texture uses; what that costs is known from the
headers alone (docs/api.md, "Model limits"): the images' count, each side (larger
than ``max_texture_side`` is refused — a 30000² PNG bomb is 100 KB), and the sum of their
pixels (``max_model_texels``), counted once per ``images[]`` entry even when several
entries share one file, since that is what the document asks the renderer to hold.
Textures larger than the renderer needs but within the limits are accepted and downscaled
when decoded (renderer/images.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from broker.ingest.errors import ModelInvalid
from broker.ingest.gltf_structure import objects
from broker.ingest.image_check import CheckedImage, ImageInvalid, image_header
from broker.ingest.limits import ModelLimits

OpenImage = Callable[[dict[str, Any], str], AbstractContextManager[BinaryIO]]


def used_images(doc: dict[str, Any]) -> list[int]:
    """Images a texture draws from (its source, or its EXT_texture_webp source)."""
    used: set[int] = set()
    for texture in objects(doc, "textures"):
        if "source" in texture:
            used.add(texture["source"])
        webp = texture.get("extensions", {}).get("EXT_texture_webp", {})
        if isinstance(webp, dict) and "source" in webp:
            used.add(webp["source"])
    return sorted(used)


class TextureBudget:
    """The model's texture limits, fed one image header at a time."""

    def __init__(self, limits: ModelLimits) -> None:
        self.limits = limits
        self.texels = 0

    def add(self, header: CheckedImage, what: str) -> None:
        side = self.limits.max_texture_side
        if max(header.width, header.height) > side:
            raise ModelInvalid(
                f"{what} is {header.width}×{header.height} pixels; a texture may be at most "
                f"{side} pixels a side"
            )
        self.texels += header.width * header.height
        if self.texels > self.limits.max_model_texels:
            raise ModelInvalid(
                f"the model's textures hold more than {self.limits.max_model_texels:,} pixels "
                f"({self.texels:,} up to {what}; each image entry counts)"
            )


def check_textures(doc: dict[str, Any], open_image: OpenImage, limits: ModelLimits) -> None:
    images = objects(doc, "images")
    if len(images) > limits.max_images:
        raise ModelInvalid(
            f"the model has {len(images):,} images; the limit is {limits.max_images:,}"
        )
    headers: dict[Any, CheckedImage] = {}  # one header read per distinct view or URI
    budget = TextureBudget(limits)
    for i in used_images(doc):
        image, what = images[i], f"images[{i}]"
        key = (str(image.get("bufferView")), str(image.get("uri")))
        if key not in headers:
            with open_image(image, what) as stream:
                try:
                    headers[key] = image_header(stream, what)
                except ImageInvalid as exc:
                    raise ModelInvalid(str(exc)) from None
        budget.add(headers[key], what)
