"""A bound UsdPreviewSurface → :class:`~exchange.asset.model.Material`.

Each input is either a value or a UsdUVTexture's output (followed through material
interface inputs by OpenUSD's ``GetValueProducingAttributes``); a texture's ``scale`` is
the factor glTF multiplies it by. glTF packs roughness (G) and metallic (B) into one image:
when a file already feeds them from those channels of one image its bytes are kept,
otherwise the channels are copied into a new PNG (a metallic or roughness without a
texture becomes white in that channel and the value the factor). Opacity is the base
colour's alpha (a value; an opacity map is not carried). A shader other than
UsdPreviewSurface (MaterialX, a renderer's own) gives the default material.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from exchange.asset.model import Material, Texture
from exchange.asset.usd_files import Upload

DIFFUSE, METALLIC, ROUGHNESS = (0.18, 0.18, 0.18), 0.0, 0.5
"""UsdPreviewSurface's own defaults for inputs a file leaves unauthored."""
CHANNELS = {"r": 0, "g": 1, "b": 2, "a": 3}


@dataclass(frozen=True)
class _Map:
    texture: Texture
    channel: str
    """The UsdUVTexture output read: ``rgb``, ``r``, ``g``, ``b`` or ``a``."""
    scale: tuple[float, float, float, float]


def read_material(material: Any, upload: Upload) -> Material:
    """The Material for a ``UsdShade.Material``."""
    out = Material(name=material.GetPrim().GetName())
    shader = _surface(material)
    if shader is None:
        return out
    colour, colour_map = _input(shader, "diffuseColor", upload)
    opacity, _ = _input(shader, "opacity", upload)
    rgb = _vec3(colour, DIFFUSE) if colour_map is None else colour_map.scale[:3]
    alpha = _factor(opacity, None, 1.0)
    out.base_color = (float(rgb[0]), float(rgb[1]), float(rgb[2]), alpha)
    out.base_color_texture = None if colour_map is None else colour_map.texture
    metallic, metal_map = _input(shader, "metallic", upload)
    roughness, rough_map = _input(shader, "roughness", upload)
    out.metallic = _factor(metallic, metal_map, METALLIC)
    out.roughness = _factor(roughness, rough_map, ROUGHNESS)
    out.metallic_roughness_texture = _packed(metal_map, rough_map)
    emissive, emissive_map = _input(shader, "emissiveColor", upload)
    if emissive_map is not None:
        out.emissive = emissive_map.scale[:3]
        out.emissive_texture = emissive_map.texture
    else:
        out.emissive = _vec3(emissive, (0.0, 0.0, 0.0))
    _, normal_map = _input(shader, "normal", upload)
    _, occlusion_map = _input(shader, "occlusion", upload)
    out.normal_texture = None if normal_map is None else normal_map.texture
    out.occlusion_texture = None if occlusion_map is None else occlusion_map.texture
    return out


def _surface(material: Any) -> Any:
    from pxr import UsdShade

    shader = material.ComputeSurfaceSource()[0]
    if not shader or shader.GetIdAttr().Get() != "UsdPreviewSurface":
        return None
    return UsdShade.Shader(shader.GetPrim())


def _input(shader: Any, name: str, upload: Upload) -> tuple[Any, _Map | None]:
    """The value of input ``name``, or the texture it reads (value None)."""
    from pxr import UsdShade

    inp = shader.GetInput(name)
    if not inp:
        return None, None
    for attr in inp.GetValueProducingAttributes():
        prim = attr.GetPrim()
        if UsdShade.Output.IsOutput(attr):
            source = UsdShade.Shader(prim)
            if source and source.GetIdAttr().Get() == "UsdUVTexture":
                return None, _texture_map(source, attr.GetBaseName(), upload)
            return None, None
        return attr.Get(), None
    return None, None


def _texture_map(shader: Any, channel: str, upload: Upload) -> _Map | None:
    file_input = shader.GetInput("file")
    if not file_input:
        return None
    asset = file_input.Get()
    if asset is None or not asset.path:
        return None
    attr = file_input.GetValueProducingAttributes()
    stack = attr[0].GetPropertyStack() if attr else []
    anchor = stack[0].layer.realPath if stack else ""
    what = f"the texture of {shader.GetPrim().GetName()}"
    texture = upload.texture(asset.path, asset.resolvedPath, anchor, what)
    if texture is None:
        return None
    scale_input = shader.GetInput("scale")
    scale = scale_input.Get() if scale_input else None
    return _Map(texture, channel, _vec4(scale))


def _vec3(value: Any, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """``value`` as an RGB triple (a value of another type: ``default``)."""
    try:
        v = [float(c) for c in value]
    except (TypeError, ValueError):
        return default
    return (v[0], v[1], v[2]) if len(v) >= 3 and np.isfinite(v[:3]).all() else default


def _vec4(value: Any) -> tuple[float, float, float, float]:
    """A UsdUVTexture ``scale`` (unauthored or of another type: 1s)."""
    try:
        v = [float(c) for c in value]
    except (TypeError, ValueError):
        return (1.0, 1.0, 1.0, 1.0)
    return (v[0], v[1], v[2], v[3]) if len(v) == 4 and np.isfinite(v).all() else (1.0,) * 4


def _factor(value: Any, texture: _Map | None, default: float) -> float:
    if texture is not None:
        return texture.scale[CHANNELS.get(texture.channel, 0) % 3]
    return float(value) if isinstance(value, (int, float)) and np.isfinite(value) else default


def _packed(metal: _Map | None, rough: _Map | None) -> Texture | None:
    """glTF's metallicRoughness image: B metallic, G roughness."""
    if metal is None and rough is None:
        return None
    if (
        metal is not None
        and rough is not None
        and metal.texture == rough.texture
        and (metal.channel, rough.channel) == ("b", "g")
    ):
        return metal.texture
    planes = {c: m for c, m in (("g", rough), ("b", metal)) if m is not None}
    arrays = {c: _channel(m) for c, m in planes.items()}
    if any(a is None for a in arrays.values()):
        return None
    size = max((a.shape for a in arrays.values() if a is not None), key=lambda s: s[0] * s[1])
    rgb = np.full((*size, 3), 255, np.uint8)
    for c, a in arrays.items():
        if a is not None:
            rgb[..., CHANNELS[c]] = _resized(a, size)
    out = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(out, format="PNG")
    return Texture(out.getvalue(), "image/png")


def _channel(m: _Map) -> np.ndarray | None:
    try:
        with Image.open(io.BytesIO(m.texture.data)) as img:
            rgba = np.asarray(img.convert("RGBA"))
    except Exception:  # Pillow's decoders raise many types on hostile bytes
        return None
    return rgba[..., CHANNELS.get(m.channel, 0)]


def _resized(a: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    if a.shape == size:
        return a
    return np.asarray(Image.fromarray(a).resize((size[1], size[0]), Image.Resampling.BILINEAR))
