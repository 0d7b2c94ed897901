"""USD in and out: the corpus's USD files read as OpenUSD composes them; every good input
kind written as usdz/usdc/usda passes OpenUSD's own checkers (ARKit rules, UsdValidation)
and reads back with the same triangles, bounds, materials and textures."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from exchange.asset import Asset, compare, convert, normalised, read_asset, summary, write_asset
from exchange.asset.skinning import world_matrices
from exchange.asset.transform import bounds
from exchange.errors import AssetInvalid
from health.validators.usd import check_arkit, validate_usd

ASSETS = Path(__file__).resolve().parents[1] / "assets"
USD = ASSETS / "usd"
CORPUS = {
    # name: triangles, materials used, distinct textures, up axis, metres per unit
    "CesiumMan.usdz": (4672, 1, 1, "Y", 1.0),
    "RoughnessTest.usdz": (504, 6, 4, "Z", 1.0),
    "MotionCaptureROM.usdc": (2000, 24, 0, "Z", 1.0),
    "UtahTeapot.usd": (2472, 0, 0, "Y", 1.0),
}
SOURCES = [
    "Duck.glb",
    "CesiumMilkTruck.glb",
    "AlphaBlendModeTest.glb",
    "fuze.zip",
    "teapot_binary.stl",
    "test_pos_color_ascii.ply",
    "teapot_instancenodes.DAE",
    "usd/CesiumMan.usdz",
    "RoughnessTest.usdz",
    "usd/MotionCaptureROM.usdc",
    "usd/UtahTeapot.usd",
]


def _corpus(name: str) -> Path:
    return USD / name if (USD / name).exists() else ASSETS / name


def _points_bounds(path: Path) -> np.ndarray:
    """The world box of every Mesh's points, computed by OpenUSD's own world transforms
    (independent of the reader's node hierarchy)."""
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(path))
    time, corners = Usd.TimeCode.EarliestTime(), []
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh):
            m = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(time))
            p = np.array(UsdGeom.Mesh(prim).GetPointsAttr().Get(time), dtype=np.float64)
            corners.append(p @ m[:3, :3] + m[3, :3])
    pts = np.concatenate(corners)
    return np.array([pts.min(0), pts.max(0)])


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_corpus_reads_as_openusd_composes_it(name: str) -> None:
    triangles, materials, textures, up, meters = CORPUS[name]
    asset = read_asset(_corpus(name))
    got = summary(asset)
    assert (got.triangles, got.materials, got.textures) == (triangles, materials, textures)
    assert (asset.up_axis, asset.meters_per_unit) == (up, meters)
    box = bounds(asset)
    assert box is not None
    expected = _points_bounds(_corpus(name))
    assert np.abs(box - expected).max() < 1e-4 * np.linalg.norm(expected[1] - expected[0])


def test_usdz_textures_are_the_packaged_bytes() -> None:
    with zipfile.ZipFile(USD / "CesiumMan.usdz") as package:
        jpeg = package.read("0/CesiumMan_img0.jpg")
    asset = read_asset(USD / "CesiumMan.usdz")
    assert [(t.data, t.mime) for t in asset.textures()] == [(jpeg, "image/jpeg")]
    with zipfile.ZipFile(ASSETS / "RoughnessTest.usdz") as package:
        png = package.read("0/roughness-spec.png")
    rough = read_asset(ASSETS / "RoughnessTest.usdz")
    textured = [m for m in rough.materials if m.name.startswith("Tex")]
    assert [m.base_color_texture and m.base_color_texture.data for m in textured] == [png] * 3
    # the TGA roughness map becomes glTF's packed image (PNG), a different channel each
    packed = {m.metallic_roughness_texture for m in textured}
    assert len(packed) == 3 and all(t is not None and t.mime == "image/png" for t in packed)
    assert {round(m.metallic, 3) for m in textured} == {0.6}


@pytest.mark.parametrize("target", ["usdz", "usdc", "usda"])
@pytest.mark.parametrize("name", SOURCES)
def test_every_input_written_as_usd_passes_openusd_and_round_trips(
    name: str, target: str, tmp_path: Path
) -> None:
    out = tmp_path / f"model.{target}"
    written = convert(ASSETS / name, out, target)
    if target == "usdz":
        arkit = check_arkit(out)
        assert arkit.ok, (arkit.errors, arkit.failed_checks)
    verdict = validate_usd(out)
    assert verdict.ok, [(i.validator, i.message) for i in verdict.errors]
    back = read_asset(out)
    assert (back.up_axis, back.meters_per_unit) == ("Y", 1.0)
    trip = compare(written, normalised(back))
    assert trip.ok, trip.problems
    assert trip.before.triangles > 0


def test_usdz_holds_every_file_uncompressed_and_aligned(tmp_path: Path) -> None:
    convert(ASSETS / "AlphaBlendModeTest.glb", tmp_path / "a.usdz", "usdz")
    with zipfile.ZipFile(tmp_path / "a.usdz") as package:
        infos = package.infolist()
        data = (tmp_path / "a.usdz").read_bytes()
    assert infos[0].filename.endswith(".usdc")
    assert len(infos) == 5  # the layer and its 4 textures
    for info in infos:
        assert info.compress_type == zipfile.ZIP_STORED
        name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name_len + extra_len
        assert start % 64 == 0, info.filename


def test_usda_writes_its_textures_beside_it(tmp_path: Path) -> None:
    source = read_asset(ASSETS / "Duck.glb")
    convert(ASSETS / "Duck.glb", tmp_path / "duck.usda", "usda")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "duck.usda",
        "texture_0.png",
    ]
    assert (tmp_path / "textures" / "texture_0.png").read_bytes() == source.textures()[0].data
    assert "@./textures/texture_0.png@" in (tmp_path / "duck.usda").read_text()
    assert 'string inputs:varname = "st"' in (tmp_path / "duck.usda").read_text()


def test_base_colour_texture_bytes_survive_a_usdz_round_trip(tmp_path: Path) -> None:
    source = read_asset(ASSETS / "Duck.glb")
    convert(ASSETS / "Duck.glb", tmp_path / "duck.usdz", "usdz")
    back = read_asset(tmp_path / "duck.usdz")
    before = source.materials[0].base_color_texture
    after = [m.base_color_texture for m in back.materials]
    assert before is not None and after == [before]


def test_duck_bounds_survive_usdz(tmp_path: Path) -> None:
    glb = normalised(read_asset(ASSETS / "Duck.glb"))
    convert(ASSETS / "Duck.glb", tmp_path / "duck.usdz", "usdz")
    a, b = bounds(glb), bounds(read_asset(tmp_path / "duck.usdz"))
    assert a is not None and b is not None
    assert np.abs(a - b).max() < 1e-4


def test_uvs_survive_usd(tmp_path: Path) -> None:
    written = convert(ASSETS / "fuze.zip", tmp_path / "f.usdc", "usdc")
    back = read_asset(tmp_path / "f.usdc")
    uv_a = np.sort(np.concatenate([p.uvs for _, p in written.placed() if p.uvs is not None]), 0)
    uv_b = np.sort(np.concatenate([p.uvs for _, p in back.placed() if p.uvs is not None]), 0)
    assert uv_a.shape == uv_b.shape and np.abs(uv_a - uv_b).max() < 1e-6


CM_Z_UP = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 0.01
    upAxis = "Z"
)
def Xform "World"
{
    def Mesh "tower"
    {
        int[] faceVertexCounts = [4, 4]
        int[] faceVertexIndices = [0, 1, 2, 3, 4, 5, 6, 7]
        point3f[] points = [(0,0,0), (10,0,0), (10,0,200), (0,0,200),
                            (0,5,0), (0,5,200), (10,5,200), (10,5,0)]
    }
}
"""


@pytest.mark.parametrize("target", ["usdz", "usda"])
def test_z_up_centimetres_come_out_y_up_metres(target: str, tmp_path: Path) -> None:
    from pxr import Usd, UsdGeom

    (tmp_path / "in.usda").write_text(CM_Z_UP)
    source = read_asset(tmp_path / "in.usda")
    assert (source.up_axis, source.meters_per_unit) == ("Z", 0.01)
    out = tmp_path / f"out.{target}"
    convert(tmp_path / "in.usda", out, target)
    stage = Usd.Stage.Open(str(out))
    assert UsdGeom.GetStageUpAxis(stage) == "Y"
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    box = bounds(read_asset(out))
    assert box is not None
    size = box[1] - box[0]
    assert np.allclose(size, [0.1, 2.0, 0.05], atol=1e-6)  # 2 m tall, standing on y = 0
    assert abs(box[0, 1]) < 1e-6
    assert summary(read_asset(out)).triangles == 4


SUBSETS = """#usda 1.0
(
    defaultPrim = "W"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "W"
{
    def Mesh "m" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        uniform token orientation = "%s"
        int[] faceVertexCounts = [4, 3, 5]
        int[] faceVertexIndices = [0, 1, 2, 3, 1, 4, 2, 4, 5, 6, 7, 2]
        point3f[] points = [(0,0,0), (1,0,0), (1,1,0), (0,1,0), (2,0,0), (3,0,0), (3,1,0), (2,2,0)]
        texCoord2f[] primvars:st = [(0,0), (1,0), (1,1), (0,1), (0,0), (1,0), (1,1),
                                    (0.5,0.5), (0,0), (1,0), (1,1), (0,1)] (
            interpolation = "faceVarying"
        )
        rel material:binding = </W/Looks/red>
        def GeomSubset "blue" (prepend apiSchemas = ["MaterialBindingAPI"])
        {
            uniform token elementType = "face"
            uniform token familyName = "materialBind"
            int[] indices = [2]
            rel material:binding = </W/Looks/blue>
        }
    }
    def Scope "Looks"
    {
        def Material "red"
        {
            token outputs:surface.connect = </W/Looks/red/s.outputs:surface>
            def Shader "s"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (1, 0, 0)
                float inputs:roughness = 0.25
                float inputs:opacity = 0.5
                token outputs:surface
            }
        }
        def Material "blue"
        {
            token outputs:surface.connect = </W/Looks/blue/s.outputs:surface>
            def Shader "s"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (0, 0, 1)
                color3f inputs:emissiveColor = (0, 0, 0.5)
                float inputs:metallic = 1
                token outputs:surface
            }
        }
    }
}
"""


@pytest.mark.parametrize("orientation", ["rightHanded", "leftHanded"])
def test_polygons_subsets_and_face_varying_uvs(orientation: str, tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(SUBSETS % orientation)
    asset = read_asset(tmp_path / "m.usda")
    prims = {
        asset.materials[p.material].name: p for _, p in asset.placed() if p.material is not None
    }
    assert sorted(prims) == ["blue", "red"]
    red, blue = (
        asset.materials[prims["red"].material or 0],
        asset.materials[prims["blue"].material or 0],
    )
    assert red.base_color == (1.0, 0.0, 0.0, 0.5) and red.roughness == 0.25
    assert red.metallic == 0.0  # UsdPreviewSurface's default, not glTF's
    assert blue.metallic == 1.0 and blue.emissive == (0.0, 0.0, 0.5)
    assert len(prims["red"].indices) == 3  # a quad and a triangle
    assert len(prims["blue"].indices) == 3  # a pentagon, fan-triangulated
    # faceVarying UVs split point 1 (uv (1,0) in the quad, (0,0) in the triangle) but not
    # point 2 (uv (1,1) in both)
    red_prim = prims["red"]
    assert red_prim.uvs is not None
    assert len(red_prim.positions) == 6
    assert (red_prim.positions == [1, 0, 0]).all(axis=1).sum() == 2
    first = red_prim.uvs[red_prim.indices[0]].tolist()
    assert sorted(first) == [[0, 1], [1, 0], [1, 1]]  # the quad's (0,0) (1,0) (1,1), v flipped
    # every triangle faces +z (right-handed) or -z (left-handed winding flipped to glTF's)
    for p in prims.values():
        tri = p.positions[p.indices]
        normal_z = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])[:, 2]
        assert (normal_z > 0).all() if orientation == "rightHanded" else (normal_z < 0).all()


def test_a_subset_round_trip_keeps_both_materials(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(SUBSETS % "rightHanded")
    written = convert(tmp_path / "m.usda", tmp_path / "o.usdz", "usdz")
    assert check_arkit(tmp_path / "o.usdz").ok
    trip = compare(written, read_asset(tmp_path / "o.usdz"))
    assert trip.ok and trip.after.materials == 2


@pytest.mark.parametrize("path", sorted((USD / "bad").iterdir()), ids=lambda p: p.name)
def test_hostile_usd_is_refused_without_paths(path: Path) -> None:
    with pytest.raises(AssetInvalid) as refused:
        read_asset(path)
    message = str(refused.value)
    assert message and "/" not in message and "Traceback" not in message


def test_implicit_shapes_are_tessellated_where_their_schema_puts_them(tmp_path: Path) -> None:
    """all_primitives.usda: a capsule, cone, cube, cylinder and sphere along Z, 2 units
    apart on X, in centimetres; each becomes a closed mesh of its schema's size."""
    asset = read_asset(USD / "all_primitives.usda")
    assert asset.meters_per_unit == pytest.approx(0.01)
    boxes = {}
    for node, world in zip(asset.nodes, world_matrices(asset.nodes), strict=True):
        if node.mesh is not None:
            (prim,) = asset.meshes[node.mesh].primitives
            points = prim.positions.astype(float) @ world[:3, :3].T + world[:3, 3]
            boxes[node.name] = (points.min(0), points.max(0))
    assert sorted(boxes) == ["Capsule", "Cone", "Cube", "Cylinder", "Sphere"]
    expected = {
        "Capsule": ((-0.5, -0.5, -1.0), (0.5, 0.5, 1.0)),
        "Cone": ((1, -1, -1), (3, 1, 1)),
        "Cube": ((3, -1, -1), (5, 1, 1)),
        "Cylinder": ((5, -1, -1), (7, 1, 1)),
        "Sphere": ((7, -1, -1), (9, 1, 1)),
    }
    for name, (low, high) in expected.items():
        assert np.allclose(boxes[name][0], low, atol=0.02), name
        assert np.allclose(boxes[name][1], high, atol=0.02), name
    out = tmp_path / "shapes.usdz"
    convert(USD / "all_primitives.usda", out, "usdz")
    assert check_arkit(out).ok


TEXTURED = """#usda 1.0
(
    defaultPrim = "W"
)
def Xform "W"
{
    def Mesh "m" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
        texCoord2f[] primvars:st = [(0,0), (1,0), (0,1)] (interpolation = "vertex")
        rel material:binding = </W/mat>
    }
    def Material "mat"
    {
        token outputs:surface.connect = </W/mat/s.outputs:surface>
        def Shader "s"
        {
            uniform token info:id = "UsdPreviewSurface"
            color3f inputs:diffuseColor.connect = </W/mat/t.outputs:rgb>
            token outputs:surface
        }
        def Shader "t"
        {
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @%s@
            float3 outputs:rgb
        }
    }
}
"""


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("texture", ["../../etc/passwd", "../secret.png", "/etc/passwd"])
def test_a_texture_outside_the_upload_is_never_read(texture: str, tmp_path: Path) -> None:
    upload = tmp_path / "a" / "b"
    upload.mkdir(parents=True)
    (tmp_path / "a" / "secret.png").write_bytes(_png())  # a real image one level up
    (upload / "m.usda").write_text(TEXTURED % texture)
    with pytest.raises(AssetInvalid, match="outside the upload") as refused:
        read_asset(upload / "m.usda")
    assert str(tmp_path) not in str(refused.value)


def test_a_backslash_texture_path_inside_the_upload_is_read(tmp_path: Path) -> None:
    (tmp_path / "tex").mkdir()
    (tmp_path / "tex" / "c.png").write_bytes(_png())
    (tmp_path / "m.usda").write_text(TEXTURED % "tex\\\\c.png")
    asset = read_asset(tmp_path / "m.usda")
    assert [t.data for t in asset.textures()] == [_png()]
    assert asset.materials[0].base_color[:3] == (1.0, 1.0, 1.0)


def test_a_missing_or_non_image_texture_is_no_texture(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(TEXTURED % "nothere.png")
    assert read_asset(tmp_path / "m.usda").textures() == []
    (tmp_path / "x.png").write_text("not an image")
    (tmp_path / "m.usda").write_text(TEXTURED % "x.png")
    assert read_asset(tmp_path / "m.usda").textures() == []


def test_a_layer_outside_the_upload_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.usda").write_text(CM_Z_UP)
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "m.usda").write_text(
        '#usda 1.0\n(defaultPrim = "W")\ndef Xform "W" (references = @../other.usda@) {}\n'
    )
    with pytest.raises(AssetInvalid, match="outside the upload"):
        read_asset(upload / "m.usda")


ASSEMBLY = """#usda 1.0
(
    defaultPrim = "W"
    metersPerUnit = 0.01
    upAxis = "Z"
)
def Xform "W"
{
    def "a" (references = @parts/tower.usda@)
    {
    }
    def "b" (
        instanceable = true
        references = @parts/tower.usda@
    )
    {
        double3 xformOp:translate = (100, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_a_reference_inside_the_upload_is_composed(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "tower.usda").write_text(CM_Z_UP)
    (tmp_path / "m.usda").write_text(ASSEMBLY)
    asset = read_asset(tmp_path / "m.usda")
    assert summary(asset).triangles == 8
    box = bounds(asset)
    assert box is not None and np.allclose(box[1], [110, 5, 200])


def test_the_triangle_limit_holds(tmp_path: Path) -> None:
    from exchange.errors import AssetTooLarge
    from exchange.limits import AssetLimits

    with pytest.raises(AssetTooLarge, match="triangles"):
        read_asset(USD / "UtahTeapot.usd", AssetLimits(max_triangles=1000))


HIDDEN = """#usda 1.0
(
    defaultPrim = "W"
)
def Xform "W"
{
    def Mesh "shown"
    {
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
    }
    def Mesh "hidden"
    {
        token visibility = "invisible"
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (9,0,0), (0,9,0)]
    }
    def Mesh "guide"
    {
        uniform token purpose = "guide"
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (-9,0,0), (0,-9,0)]
    }
}
"""


def test_invisible_and_guide_prims_are_not_drawn(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(HIDDEN)
    asset = read_asset(tmp_path / "m.usda")
    box = bounds(asset)
    assert summary(asset).triangles == 1
    assert box is not None and np.allclose(box, [[0, 0, 0], [1, 1, 0]])


def test_material_names_survive_as_prim_names(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(SUBSETS % "rightHanded")
    convert(tmp_path / "m.usda", tmp_path / "o.usda", "usda")
    assert sorted(m.name for m in read_asset(tmp_path / "o.usda").materials) == ["blue", "red"]


@pytest.mark.parametrize("target", ["usdz", "usdc", "usda"])
def test_writing_again_over_a_file_just_read(target: str, tmp_path: Path) -> None:
    out = tmp_path / f"o.{target}"
    convert(ASSETS / "Duck.glb", out, target)
    duck = read_asset(out)
    convert(ASSETS / "BoxTextured.glb", out, target)
    assert summary(read_asset(out)).triangles == 12 != summary(duck).triangles


@pytest.mark.parametrize(("target", "magic"), [("usdc", b"PXR-USDC"), ("usda", b"#usda 1.0")])
def test_the_layer_format_follows_the_target_not_the_suffix(
    target: str, magic: bytes, tmp_path: Path
) -> None:
    convert(ASSETS / "Duck.glb", tmp_path / "upload.bin", target)
    assert (tmp_path / "upload.bin").read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["textures", "upload.bin"]


INSTANCES = """#usda 1.0
(
    defaultPrim = "W"
)
def Xform "W"
{
    class Xform "proto"
    {
        def Mesh "m" (prepend apiSchemas = ["MaterialBindingAPI"])
        {
            int[] faceVertexCounts = [3]
            int[] faceVertexIndices = [0, 1, 2]
            point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
            rel material:binding = </W/proto/mat>
        }
        def Material "mat"
        {
        }
    }
    def "a" (instanceable = true
        references = </W/proto>)
    {
        double3 xformOp:translate = (5, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def "b" (instanceable = true
        references = </W/proto>)
    {
        double3 xformOp:translate = (-5, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_instances_share_their_prototype_mesh_and_material(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(INSTANCES)
    asset = read_asset(tmp_path / "m.usda")
    got = summary(asset)
    assert (got.triangles, got.materials, len(asset.meshes)) == (2, 1, 1)
    box = bounds(asset)
    assert box is not None and np.allclose(box, [[-5, 0, 0], [6, 1, 0]])


def _image(colour: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format=fmt)
    return out.getvalue()


def _full_material_asset() -> Asset:
    from exchange.asset import Material, Mesh, Node, Primitive, Texture

    maps = [Texture(_image((40 * i, 10, 200)), "image/png") for i in range(4)]
    maps.append(Texture(_image((1, 2, 3), "JPEG"), "image/jpeg"))
    material = Material(
        name="all maps",
        base_color=(0.5, 0.25, 1.0, 0.75),
        base_color_texture=maps[4],
        metallic=0.3,
        roughness=0.6,
        metallic_roughness_texture=maps[0],
        normal_texture=maps[1],
        occlusion_texture=maps[2],
        emissive=(1.0, 0.5, 0.0),
        emissive_texture=maps[3],
    )
    quad = Primitive(
        np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32),
        np.array([[0, 1, 2], [0, 2, 3]], np.uint32),
        np.tile(np.float32([0, 0, 1]), (4, 1)),
        np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32),
        material=0,
    )
    return Asset([Node("quad", mesh=0)], [0], [Mesh("quad", [quad])], [material])


def test_every_material_slot_is_written_as_arkit_reads_it_and_read_back(tmp_path: Path) -> None:
    from pxr import Usd, UsdShade

    asset = _full_material_asset()
    write_asset(asset, tmp_path / "m.usdz", "usdz")
    arkit = check_arkit(tmp_path / "m.usdz")
    assert arkit.ok, (arkit.errors, arkit.failed_checks)
    assert validate_usd(tmp_path / "m.usdz").ok
    stage = Usd.Stage.Open(str(tmp_path / "m.usdz"))
    shader = UsdShade.Shader(stage.GetPrimAtPath("/Root/Materials/all_maps/PreviewSurface"))

    def source(name: str) -> tuple[UsdShade.Shader, str]:
        (connection,) = shader.GetInput(name).GetConnectedSources()[0]
        return UsdShade.Shader(connection.source.GetPrim()), connection.sourceName

    wiring = {n: source(n) for n in ("diffuseColor", "metallic", "roughness", "normal")}
    wiring |= {n: source(n) for n in ("occlusion", "emissiveColor")}
    assert {n: c for n, (_, c) in wiring.items()} == {
        "diffuseColor": "rgb",
        "metallic": "b",
        "roughness": "g",
        "normal": "rgb",
        "occlusion": "r",
        "emissiveColor": "rgb",
    }
    spaces = {n: t.GetInput("sourceColorSpace").Get() for n, (t, _) in wiring.items()}
    assert spaces == {
        "diffuseColor": "sRGB",
        "emissiveColor": "sRGB",
        "metallic": "raw",
        "roughness": "raw",
        "normal": "raw",
        "occlusion": "raw",
    }
    normal_map = wiring["normal"][0]
    assert tuple(normal_map.GetInput("scale").Get()) == (2, 2, 2, 1)
    assert tuple(normal_map.GetInput("bias").Get()) == (-1, -1, -1, 0)
    for texture, _ in wiring.values():
        assert (texture.GetInput("wrapS").Get(), texture.GetInput("wrapT").Get()) == ("repeat",) * 2
        (reader,) = texture.GetInput("st").GetConnectedSources()[0]
        varname = UsdShade.Shader(reader.source.GetPrim()).GetInput("varname")
        assert (str(varname.GetTypeName()), varname.Get()) == ("string", "st")
    assert shader.GetInput("opacity").Get() == pytest.approx(0.75)

    back = read_asset(tmp_path / "m.usdz").materials
    assert len(back) == 1
    want, got = asset.materials[0], back[0]
    assert got.name == "all_maps"
    assert np.allclose(got.base_color, want.base_color)
    assert (got.metallic, got.roughness) == pytest.approx((0.3, 0.6))
    assert np.allclose(got.emissive, want.emissive)
    assert [t.data for t in got.textures()] == [t.data for t in want.textures()]


def test_a_tga_texture_is_stored_as_png(tmp_path: Path) -> None:
    import io

    from PIL import Image

    (tmp_path / "c.tga").write_bytes(_image((9, 99, 199), "TGA"))
    (tmp_path / "m.usda").write_text(TEXTURED % "c.tga")
    (texture,) = read_asset(tmp_path / "m.usda").textures()
    assert texture.mime == "image/png"
    with Image.open(io.BytesIO(texture.data)) as img:
        assert img.format == "PNG" and img.convert("RGB").getpixel((3, 3)) == (9, 99, 199)


def test_the_texture_and_file_size_limits_hold(tmp_path: Path) -> None:
    from exchange.errors import AssetTooLarge
    from exchange.limits import AssetLimits

    write_asset(_full_material_asset(), tmp_path / "m.usdz", "usdz")
    with pytest.raises(AssetTooLarge, match="textures"):
        read_asset(tmp_path / "m.usdz", AssetLimits(max_images=4))
    with pytest.raises(AssetTooLarge, match="a side"):
        read_asset(tmp_path / "m.usdz", AssetLimits(max_texture_side=4))
    with pytest.raises(AssetTooLarge, match="bytes"):
        read_asset(tmp_path / "m.usdz", AssetLimits(max_file_bytes=1000))


def test_a_layer_may_reference_a_usdz_beside_it_textures_and_all(tmp_path: Path) -> None:
    import shutil

    shutil.copy(USD / "CesiumMan.usdz", tmp_path / "man.usdz")
    (tmp_path / "scene.usda").write_text(
        '#usda 1.0\n(\n    defaultPrim = "S"\n)\ndef Xform "S" (references = @man.usdz@)\n{\n}\n'
    )
    asset = read_asset(tmp_path / "scene.usda")
    assert (summary(asset).triangles, summary(asset).textures) == (4672, 1)


ANIMATED = """#usda 1.0
(
    defaultPrim = "W"
    startTimeCode = 1
    endTimeCode = 48
)
def Xform "W"
{
    double3 xformOp:translate.timeSamples = {
        10: (7, 0, 0),
        20: (100, 0, 0),
    }
    uniform token[] xformOpOrder = ["xformOp:translate"]
    def Mesh "m"
    {
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
    }
}
"""


def test_an_animated_transform_is_read_at_its_first_sample(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(ANIMATED)
    box = bounds(read_asset(tmp_path / "m.usda"))
    assert box is not None and np.allclose(box, [[7, 0, 0], [8, 1, 0]])


SHARED = Path("/work/shared/assets")


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared asset corpus is not here")
def test_every_corpus_file_that_converts_gives_an_arkit_clean_usdz(tmp_path: Path) -> None:
    kinds = ("glb", "gltf", "obj", "dae", "stl", "ply", "usd")
    failures, converted = [], 0
    for source in sorted(p for k in kinds for p in (SHARED / k).glob("*") if p.is_file()):
        out = tmp_path / f"{source.stem}-{source.suffix[1:]}.usdz"
        try:
            written = convert(source, out, "usdz")
        except AssetInvalid:
            continue  # refused with a message (e.g. .zae, implicit shapes): not a usdz
        converted += 1
        arkit, verdict = check_arkit(out), validate_usd(out)
        trip = compare(written, normalised(read_asset(out)))
        if not (arkit.ok and verdict.ok and trip.ok):
            failures.append((source.name, arkit.failed_rules, verdict.failed_validators, trip))
    assert converted >= 30 and failures == []


def test_usdz_uvs_agree_with_the_same_model_in_gltf() -> None:
    """CesiumMan.usdz was made from CesiumMan's glTF: after USD's v-up st is flipped, every
    vertex's UV is one the glTF has (a missing or doubled flip would move them all)."""
    from scipy.spatial import cKDTree

    usd = np.concatenate([p.uvs for _, p in read_asset(USD / "CesiumMan.usdz").placed()])
    gltf = np.concatenate([p.uvs for _, p in read_asset(ASSETS / "CesiumMan.zip").placed()])
    assert usd.shape == gltf.shape
    distance, _ = cKDTree(gltf).query(usd)
    assert distance.max() < 1e-3
    flipped, _ = cKDTree(gltf).query(usd * [1, -1] + [0, 1])
    assert flipped.max() > 0.1


def test_a_damaged_package_entry_is_refused(tmp_path: Path) -> None:
    data = bytearray((USD / "CesiumMan.usdz").read_bytes())
    with zipfile.ZipFile(USD / "CesiumMan.usdz") as package:
        info = package.getinfo("0/CesiumMan_img0.jpg")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_len + extra_len + 5000] ^= 0xFF
    (tmp_path / "man.usdz").write_bytes(bytes(data))
    with pytest.raises(AssetInvalid, match="damaged") as refused:
        read_asset(tmp_path / "man.usdz")
    assert str(tmp_path) not in str(refused.value)


ODD_TYPES = """#usda 1.0
(
    defaultPrim = "W"
)
def Xform "W"
{
    def Mesh "plain"
    {
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
        float2[] normals = [(0, 1), (0, 1), (0, 1)]
        float[] primvars:displayColor = [0.5]
        string primvars:displayOpacity = "opaque"
    }
    def Mesh "shaded" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,1), (1,0,1), (0,1,1)]
        texCoord2f[] primvars:st = [(0,0), (1,0)] (interpolation = "vertex")
        rel material:binding = </W/mat>
    }
    def Material "mat"
    {
        token outputs:surface.connect = </W/mat/s.outputs:surface>
        def Shader "s"
        {
            uniform token info:id = "UsdPreviewSurface"
            float inputs:diffuseColor = 3
            string inputs:roughness = "very"
            float inputs:metallic = inf
            color3f inputs:emissiveColor.connect = </W/mat/t.outputs:rgb>
            token outputs:surface
        }
        def Shader "t"
        {
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @c.png@
            float inputs:scale = 2
            float3 outputs:rgb
        }
    }
}
"""


def test_values_of_unexpected_types_fall_back_to_defaults(tmp_path: Path) -> None:
    (tmp_path / "c.png").write_bytes(_png())
    (tmp_path / "m.usda").write_text(ODD_TYPES)
    asset = read_asset(tmp_path / "m.usda")
    assert summary(asset).triangles == 2
    assert all(p.normals is None and p.uvs is None for _, p in asset.placed())
    (material,) = asset.materials  # the malformed displayColor gives no material
    assert material.base_color == (0.18, 0.18, 0.18, 1.0)
    assert (material.metallic, material.roughness) == (0.0, 0.5)
    assert material.emissive == (1.0, 1.0, 1.0) and material.emissive_texture is not None


def test_a_hierarchy_thousands_deep_is_written_and_read(tmp_path: Path) -> None:
    from exchange.asset import Mesh, Node, Primitive

    depth = 3000  # past Python's recursion limit
    nodes = [Node(f"n{i}", children=[i + 1] if i < depth - 1 else []) for i in range(depth)]
    nodes[0].matrix = np.diag([2.0, 2.0, 2.0, 1.0])
    nodes[-1].mesh = 0
    triangle = Primitive(np.float32([[0, 0, 0], [1, 0, 0], [0, 1, 0]]), np.uint32([[0, 1, 2]]))
    write_asset(Asset(nodes, [0], [Mesh("m", [triangle])], []), tmp_path / "d.usdc", "usdc")
    back = read_asset(tmp_path / "d.usdc")
    assert len(back.nodes) == depth + 2  # /Root, the chain, the Mesh
    assert np.allclose(bounds(back), [[0, 0, 0], [2, 2, 0]])


def test_the_vertex_limit_holds(tmp_path: Path) -> None:
    from exchange.errors import AssetTooLarge
    from exchange.limits import AssetLimits

    with pytest.raises(AssetTooLarge, match="points"):
        read_asset(USD / "UtahTeapot.usd", AssetLimits(max_vertices=1000))


def _pixels(asset: Asset) -> np.ndarray:
    import io

    from PIL import Image

    from health.report.thumbnail import thumbnail_png

    png = thumbnail_png(asset, 128)
    if png is None:
        pytest.skip("the renderer cannot draw here (no OpenGL)")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Duck.glb", "CesiumMilkTruck.glb", "usd/CesiumMan.usdz"])
def test_a_usdz_round_trip_looks_the_same(name: str, tmp_path: Path) -> None:
    """Drawn by the renderer, the asset read back from the usdz is the asset written: the
    same geometry, UVs and textures (a v flip lost or doubled would move the texture)."""
    written = convert(ASSETS / name, tmp_path / "a.usdz", "usdz")
    back = normalised(read_asset(tmp_path / "a.usdz"))
    before, after = _pixels(written), _pixels(back)
    assert before.std() > 10  # something textured was drawn
    assert np.abs(before - after).mean() < 0.5
    for _, prim in back.placed():
        if prim.uvs is not None:
            prim.uvs[:, 1] = 1.0 - prim.uvs[:, 1]
    assert np.abs(before - _pixels(back)).mean() > 1.0  # the control: a wrong v shows


CUBE = """#usda 1.0
(
    defaultPrim = "cube"
)
def Mesh "cube"
{
    int[] faceVertexCounts = [4, 4, 4, 4, 4, 4]
    int[] faceVertexIndices = [0, 1, 3, 2, 4, 6, 7, 5, 0, 4, 5, 1, 2, 3, 7, 6, 0, 2, 6, 4,
                               1, 5, 7, 3]
    point3f[] points = [(0,0,0), (0,0,1), (0,1,0), (0,1,1), (1,0,0), (1,0,1), (1,1,0),
                        (1,1,1)]
    normal3f[] primvars:normals = [(-1,0,0), (1,0,0), (0,-1,0), (0,1,0), (0,0,-1), (0,0,1)] (
        interpolation = "uniform"
    )
    texCoord2f[] primvars:st = [(0,0), (1,0), (1,1), (0,1)] (interpolation = "faceVarying")
    int[] primvars:st:indices = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
                                 0, 1, 2, 3]
}
"""


def test_uniform_normals_and_indexed_uvs(tmp_path: Path) -> None:
    (tmp_path / "cube.usda").write_text(CUBE)
    (prim,) = [p for _, p in read_asset(tmp_path / "cube.usda").placed()]
    assert len(prim.indices) == 12 and len(prim.positions) == 24  # 6 faces × 4 corners
    assert prim.normals is not None and prim.uvs is not None
    tri = prim.positions[prim.indices]
    faces = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    for corner in range(3):  # each corner's normal is its face's, which faces outward
        assert np.allclose(prim.normals[prim.indices[:, corner]], faces)
    assert sorted({tuple(uv) for uv in prim.uvs.tolist()}) == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize(
    "arc",
    [
        "references = @/nowhere/on/this/machine.usda@",
        "references = @../../missing.usda@",
        "payload = @..\\\\..\\\\win.usda@",
        "references = @`'${SECRET}.usda'`@",
        "references = @C:/models/x.usda@",
    ],
)
def test_a_layer_arc_leading_out_is_refused_before_it_is_opened(arc: str, tmp_path: Path) -> None:
    """Not "does not compose" (which would mean OpenUSD went looking): the path is refused
    for where it points."""
    upload = tmp_path / "a" / "upload"
    upload.mkdir(parents=True)
    (upload / "m.usda").write_text(
        f'#usda 1.0\n(\n    defaultPrim = "W"\n)\ndef "W" ({arc})\n{{\n}}\n'
    )
    with pytest.raises(AssetInvalid, match="outside the upload") as refused:
        read_asset(upload / "m.usda")
    assert "/" not in str(refused.value)


def test_a_sublayer_in_a_subfolder_may_reach_a_sibling_folder(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "layout").mkdir()
    (tmp_path / "parts" / "tower.usda").write_text(CM_Z_UP)
    (tmp_path / "layout" / "set.usda").write_text(
        '#usda 1.0\n(\n    defaultPrim = "W"\n)\n'
        'def "W" (references = @../parts/tower.usda@)\n{\n}\n'
    )
    (tmp_path / "scene.usda").write_text("#usda 1.0\n(\n    subLayers = [@layout/set.usda@]\n)\n")
    assert summary(read_asset(tmp_path / "scene.usda")).triangles == 4


CLIPPED = """#usda 1.0
(
    defaultPrim = "m"
)
def Mesh "m" (
    clips = {
        dictionary default = {
            asset[] assetPaths = [@%s@]
            string primPath = "/m"
            double2[] active = [(0, 0)]
        }
    }
)
{
    int[] faceVertexCounts = [3]
    int[] faceVertexIndices = [0, 1, 2]
}
"""
CLIP = """#usda 1.0
def Mesh "m"
{
    point3f[] points.timeSamples = { 0: [(0,0,0), (50,0,0), (0,50,0)] }
}
"""


def test_value_clips_are_read_from_inside_the_upload_only(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    (upload / "clips").mkdir(parents=True)
    (tmp_path / "outside.usda").write_text(CLIP)
    (upload / "clips" / "inside.usda").write_text(CLIP)
    (upload / "m.usda").write_text(CLIPPED % "clips/inside.usda")
    box = bounds(read_asset(upload / "m.usda"))
    assert box is not None and np.allclose(box[1], [50, 50, 0])  # the clip's points
    (upload / "m.usda").write_text(CLIPPED % "../outside.usda")
    with pytest.raises(AssetInvalid, match="outside the upload"):
        read_asset(upload / "m.usda")


RESET = """#usda 1.0
(
    defaultPrim = "W"
)
def Xform "W"
{
    double3 xformOp:translate = (100, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
    def Mesh "m"
    {
        double3 xformOp:translate = (0, 5, 0)
        uniform token[] xformOpOrder = ["!resetXformStack!", "xformOp:translate"]
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0,0,0), (1,0,0), (0,1,0)]
    }
}
"""


def test_a_reset_transform_stack_keeps_the_world_placement(tmp_path: Path) -> None:
    (tmp_path / "m.usda").write_text(RESET)
    box = bounds(read_asset(tmp_path / "m.usda"))
    assert box is not None and np.allclose(box, [[0, 5, 0], [1, 6, 0]])
