"""USD files built for the validator tests with usd-core itself, so they are exactly what
an author following (or breaking) the ARKit rules would write."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def textured_quad_usda(folder: Path, *, texture: str = "albedo.png", up_axis: str = "Y") -> Path:
    """A one-quad mesh with a UsdPreviewSurface whose diffuse colour reads ``texture``
    (written beside the layer, in the format its extension names)."""
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdShade

    Image.new("RGB", (4, 4), (200, 40, 40)).save(folder / texture)
    path = folder / "quad.usda"
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, up_axis)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/Quad")
    stage.SetDefaultPrim(root.GetPrim())
    mesh = UsdGeom.Mesh.Define(stage, "/Quad/Mesh")
    mesh.CreatePointsAttr([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)])
    mesh.CreateFaceVertexCountsAttr([4])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 3])
    mesh.CreateExtentAttr([(0, 0, 0), (1, 1, 0)])
    st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
        "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex
    )
    st.Set([(0, 0), (1, 0), (1, 1), (0, 1)])

    material = UsdShade.Material.Define(stage, "/Quad/Material")
    surface = UsdShade.Shader.Define(stage, "/Quad/Material/Surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(0.5)
    reader = UsdShade.Shader.Define(stage, "/Quad/Material/StReader")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
    image = UsdShade.Shader.Define(stage, "/Quad/Material/Albedo")
    image.CreateIdAttr("UsdUVTexture")
    image.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(texture)
    image.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
        reader.ConnectableAPI(), "result"
    )
    image.CreateInput("fallback", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(1, 1, 1, 1))
    rgb = image.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb)
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)
    stage.GetRootLayer().Save()
    return path


def usdz(layer: Path) -> Path:
    """``layer`` and the files it references, packaged as ARKit expects."""
    from pxr import Sdf, UsdUtils

    out = layer.with_suffix(".usdz")
    assert UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(layer)), str(out))
    return out
