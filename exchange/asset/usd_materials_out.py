""":class:`~exchange.asset.model.Material` s → UsdPreviewSurface materials, as ARKit reads
them.

Each material is a ``UsdPreviewSurface`` with every map a ``UsdUVTexture`` reading the
``st`` primvar through one ``UsdPrimvarReader_float2`` whose ``varname`` is a **string**
(ARKit's checker fails a token there), wrap ``repeat``. Colour maps (base colour,
emissive) are ``sRGB``, data maps ``raw``. A map's glTF factor is its ``scale``. glTF's
packed metallic-roughness image feeds ``metallic`` from ``outputs:b`` and ``roughness``
from ``outputs:g``; occlusion reads ``outputs:r``; the normal map is scaled by 2 and
biased by −1 (8-bit to [−1, 1]). ``opacity`` is the base colour's alpha. Texture files are
named by :func:`texture_names` and written by the caller into :data:`TEXTURES`.
"""

from __future__ import annotations

from typing import Any

from exchange.asset.model import Asset, Material, Texture

TEXTURES = "textures"
SUFFIX = {"image/png": "png", "image/jpeg": "jpg"}


def texture_names(asset: Asset) -> dict[bytes, str]:
    """Each distinct image's file name inside :data:`TEXTURES`."""
    return {t.data: f"texture_{i}.{SUFFIX[t.mime]}" for i, t in enumerate(asset.textures())}


class MaterialWriter:
    def __init__(self, stage: Any, scope: str, names: dict[bytes, str]) -> None:
        self.stage, self.scope, self.names = stage, scope, names
        self._path = scope
        self._reader: Any = None

    def write(self, materials: list[Material]) -> list[Any]:
        """The ``UsdShade.Material`` for each material, in order."""
        from pxr import UsdGeom

        if not materials:
            return []
        UsdGeom.Scope.Define(self.stage, self.scope)
        taken: set[str] = set()
        return [
            self._material(unique_name(m.name or f"Material_{i}", taken), m)
            for i, m in enumerate(materials)
        ]

    def _material(self, name: str, m: Material) -> Any:
        from pxr import Gf, Sdf, UsdShade

        path = f"{self.scope}/{name}"
        material = UsdShade.Material.Define(self.stage, path)
        surface = UsdShade.Shader.Define(self.stage, f"{path}/PreviewSurface")
        surface.CreateIdAttr("UsdPreviewSurface")
        material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
        self._path, self._reader = path, None
        r, g, b, a = m.base_color
        colour = surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f)
        if m.base_color_texture is not None:
            tex = self._texture("baseColor", m.base_color_texture, "sRGB", (r, g, b, 1.0))
            colour.ConnectToSource(tex.ConnectableAPI(), "rgb")
        else:
            colour.Set(Gf.Vec3f(r, g, b))
        surface.CreateInput("opacity", Sdf.ValueTypeNames.Float).Set(float(a))
        metallic = surface.CreateInput("metallic", Sdf.ValueTypeNames.Float)
        roughness = surface.CreateInput("roughness", Sdf.ValueTypeNames.Float)
        if m.metallic_roughness_texture is not None:
            scale = (1.0, m.roughness, m.metallic, 1.0)
            tex = self._texture("metallicRoughness", m.metallic_roughness_texture, "raw", scale)
            metallic.ConnectToSource(tex.ConnectableAPI(), "b")
            roughness.ConnectToSource(tex.ConnectableAPI(), "g")
        else:
            metallic.Set(float(m.metallic))
            roughness.Set(float(m.roughness))
        emissive = surface.CreateInput("emissiveColor", Sdf.ValueTypeNames.Color3f)
        if m.emissive_texture is not None:
            tex = self._texture("emissive", m.emissive_texture, "sRGB", (*m.emissive, 1.0))
            emissive.ConnectToSource(tex.ConnectableAPI(), "rgb")
        elif any(m.emissive):
            emissive.Set(Gf.Vec3f(*m.emissive))
        if m.normal_texture is not None:
            tex = self._texture("normal", m.normal_texture, "raw", (2.0, 2.0, 2.0, 1.0))
            tex.CreateInput("bias", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(-1, -1, -1, 0))
            surface.CreateInput("normal", Sdf.ValueTypeNames.Normal3f).ConnectToSource(
                tex.ConnectableAPI(), "rgb"
            )
        if m.occlusion_texture is not None:
            tex = self._texture("occlusion", m.occlusion_texture, "raw", (1.0, 1.0, 1.0, 1.0))
            surface.CreateInput("occlusion", Sdf.ValueTypeNames.Float).ConnectToSource(
                tex.ConnectableAPI(), "r"
            )
        return material

    def _texture(self, slot: str, texture: Texture, space: str, scale: tuple[float, ...]) -> Any:
        from pxr import Gf, Sdf, UsdShade

        tex = UsdShade.Shader.Define(self.stage, f"{self._path}/{slot}Texture")
        tex.CreateIdAttr("UsdUVTexture")
        name = self.names[texture.data]
        tex.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(f"./textures/{name}"))
        tex.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
            self._st().ConnectableAPI(), "result"
        )
        tex.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
        tex.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("repeat")
        tex.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(space)
        if tuple(scale) != (1.0, 1.0, 1.0, 1.0):
            tex.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*scale))
        for output, kind in (
            ("rgb", Sdf.ValueTypeNames.Float3),
            ("r", Sdf.ValueTypeNames.Float),
            ("g", Sdf.ValueTypeNames.Float),
            ("b", Sdf.ValueTypeNames.Float),
            ("a", Sdf.ValueTypeNames.Float),
        ):
            tex.CreateOutput(output, kind)
        return tex

    def _st(self) -> Any:
        from pxr import Sdf, UsdShade

        if self._reader is None:
            reader = UsdShade.Shader.Define(self.stage, f"{self._path}/stReader")
            reader.CreateIdAttr("UsdPrimvarReader_float2")
            reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
            reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
            self._reader = reader
        return self._reader


def unique_name(name: str, taken: set[str]) -> str:
    """``name`` as a valid prim name not yet in ``taken`` (which it is added to)."""
    from pxr import Tf

    base = Tf.MakeValidIdentifier(name) or "prim"
    out, n = base, 1
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    taken.add(out)
    return out
