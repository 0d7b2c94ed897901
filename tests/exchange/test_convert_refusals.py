"""Hostile, broken and unsupported files are refused with an AssetInvalid that says why;
an OBJ never reads outside its upload, and a texture is kept only if it really exists."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from exchange.asset import read_asset
from exchange.errors import AssetInvalid, AssetUnsupported

ASSETS = Path(__file__).resolve().parents[1] / "assets"
BAD = sorted(p for p in (ASSETS / "bad").iterdir() if p.is_file())
QUAD = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
FACES = "usemtl skin\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_files_are_refused(path: Path) -> None:
    with pytest.raises(AssetInvalid) as refused:
        read_asset(path)
    assert str(refused.value)


def test_fbx_without_blender_is_unsupported_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "a.fbx").write_bytes(b"Kaydara FBX Binary  \x00")
    with pytest.raises(AssetUnsupported, match="Blender"):
        read_asset(tmp_path / "a.fbx")


@pytest.mark.parametrize("text", ["<COLLADA/>", "not xml at all", "<COLLADA><library_geometries>"])
def test_a_broken_collada_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "a.dae").write_text(text)
    with pytest.raises(AssetInvalid, match="COLLADA"):
        read_asset(tmp_path / "a.dae")


def _textured_dae(image_path: str) -> str:
    """The teapot with its first material's diffuse colour replaced by ``image_path``."""
    dae = (ASSETS / "teapot_instancenodes.DAE").read_text(errors="replace")
    images = f'<library_images><image id="img"><init_from>{image_path}</init_from></image>'
    params = (
        '<newparam sid="surf"><surface type="2D"><init_from>img</init_from></surface>'
        '</newparam><newparam sid="samp"><sampler2D><source>surf</source></sampler2D>'
        "</newparam>"
    )
    colour = "<diffuse>\n              <color>0.109804 0.109804 0.694118 1</color>"
    assert colour in dae
    dae = dae.replace("<library_effects>", images + "</library_images><library_effects>", 1)
    dae = dae.replace("<profile_COMMON>", "<profile_COMMON>" + params, 1)
    return dae.replace(colour, '<diffuse><texture texture="samp" texcoord="UV"/>', 1)


def test_a_collada_texture_inside_the_upload_is_kept(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "skin.png").write_bytes(_png())
    (tmp_path / "a.dae").write_text(_textured_dae("maps\\skin.png"))
    assert len(read_asset(tmp_path / "a.dae").textures()) == 1


def test_a_collada_texture_outside_the_upload_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(_png())
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "a.dae").write_text(_textured_dae("../secret.png"))
    with pytest.raises(AssetInvalid, match="outside the upload"):
        read_asset(folder / "a.dae")


def _obj_zip(tmp_path: Path, mtl: str, members: dict[str, bytes]) -> Path:
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("model.obj", "mtllib model.mtl\n" + QUAD + FACES)
        zf.writestr("model.mtl", mtl)
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _png() -> bytes:
    return (ASSETS / "backdrop.png").read_bytes()


def test_a_backslash_texture_path_is_found(tmp_path: Path) -> None:
    path = _obj_zip(tmp_path, "newmtl skin\nmap_Kd maps\\skin.png\n", {"maps/skin.png": _png()})
    asset = read_asset(path)
    assert [t.data for t in asset.textures()] == [_png()]
    assert asset.meshes[0].primitives[0].material == 0


def test_uvs_without_a_texture_invent_none(tmp_path: Path) -> None:
    asset = read_asset(_obj_zip(tmp_path, "newmtl skin\nKd 1 0 0\n", {}))
    assert asset.textures() == []
    assert asset.materials[0].base_color == (1.0, 0.0, 0.0, 1.0)


def test_a_missing_texture_is_not_kept(tmp_path: Path) -> None:
    asset = read_asset(_obj_zip(tmp_path, "newmtl skin\nmap_Kd gone.png\n", {}))
    assert asset.textures() == []


@pytest.mark.parametrize("where", ["..\\..\\secret.png", "../secret.png", "/etc/passwd"])
def test_a_texture_outside_the_upload_is_refused(tmp_path: Path, where: str) -> None:
    (tmp_path / "secret.png").write_bytes(_png())
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "model.obj").write_text("mtllib model.mtl\n" + QUAD + FACES)
    (folder / "model.mtl").write_text(f"newmtl skin\nmap_Kd {where}\n")
    with pytest.raises(AssetInvalid, match="outside the upload"):
        read_asset(folder / "model.obj")


def test_an_obj_with_faces_past_its_vertices_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 9\n")
    with pytest.raises(AssetInvalid, match="OBJ"):
        read_asset(tmp_path / "a.obj")


def test_a_ply_point_cloud_is_refused(tmp_path: Path) -> None:
    header = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
    (tmp_path / "a.ply").write_text(header + "property float z\nend_header\n0 0 0\n1 1 1\n")
    with pytest.raises(AssetInvalid, match="PLY"):
        read_asset(tmp_path / "a.ply")


def test_a_truncated_binary_stl_is_refused(tmp_path: Path) -> None:
    data = (ASSETS / "teapot_binary.stl").read_bytes()
    (tmp_path / "a.stl").write_bytes(data[: len(data) // 2])
    with pytest.raises(AssetInvalid, match="STL"):
        read_asset(tmp_path / "a.stl")


def test_a_ply_that_claims_billions_of_vertices_is_refused_at_once(tmp_path: Path) -> None:
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty float x\n"
        "property float y\nproperty float z\nelement face 2000000000\n"
        "property list uchar int vertex_indices\nend_header\n"
    )
    (tmp_path / "a.ply").write_bytes(header.encode() + b"\0" * 4)
    with pytest.raises(AssetInvalid, match="PLY"):
        read_asset(tmp_path / "a.ply")


def test_an_stl_with_nan_positions_is_refused(tmp_path: Path) -> None:
    facet = "facet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex nan 1 0\n"
    (tmp_path / "a.stl").write_text(f"solid x\n{facet}endloop\nendfacet\nendsolid x\n")
    with pytest.raises(AssetInvalid, match="NaN"):
        read_asset(tmp_path / "a.stl")
