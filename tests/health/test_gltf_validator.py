"""The Khronos glTF-Validator through health.validators: real reports on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hostile_models as hm
import pytest

from health.validators import ValidatorFailed, ValidatorUnavailable, validate_gltf
from testdata import ASSETS

PINNED = json.loads((Path(__file__).parents[2] / "tools/gltf-validator/package.json").read_text())


def test_duck_is_valid_and_the_version_is_the_pinned_one():
    verdict = validate_gltf(ASSETS / "Duck.glb")

    assert verdict.ok
    assert (verdict.errors, verdict.warnings, verdict.messages) == (0, 0, ())
    assert verdict.validator_version == PINNED["dependencies"]["gltf-validator"]


def test_an_index_out_of_range_is_an_error_with_the_validators_code(tmp_path):
    doc = hm.triangle_doc()
    doc["bufferViews"].append({"buffer": 0, "byteOffset": 36, "byteLength": 6})
    doc["accessors"].append({"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"})
    doc["meshes"][0]["primitives"][0]["indices"] = 1
    broken = tmp_path / "broken.glb"
    broken.write_bytes(hm.glb(doc, hm.TRIANGLE + bytes([0, 0, 1, 0, 7, 0])))

    verdict = validate_gltf(broken)

    assert not verdict.ok
    assert "ACCESSOR_INDEX_OOB" in verdict.codes("error")
    message = next(m for m in verdict.messages if m.code == "ACCESSOR_INDEX_OOB")
    assert message.pointer == "/meshes/0/primitives/0/indices"


def test_a_dangling_accessor_reference_is_an_error(tmp_path):
    doc = hm.triangle_doc()
    doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"] = 5
    broken = tmp_path / "dangling.glb"
    broken.write_bytes(hm.glb(doc, hm.TRIANGLE))

    verdict = validate_gltf(broken)

    assert verdict.errors >= 1
    assert "UNRESOLVED_REFERENCE" in verdict.codes("error")


@pytest.mark.parametrize(
    ("name", "code"), [("not.glb", "GLB_INVALID_MAGIC"), ("not.gltf", "INVALID_JSON")]
)
def test_a_file_that_is_not_what_its_name_says_is_an_error(tmp_path, name, code):
    (tmp_path / name).write_bytes(b"hello, this is no 3D model")

    assert code in validate_gltf(tmp_path / name).codes("error")


def test_bytes_in_no_known_format_under_another_name_give_no_verdict(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"hello, this is no 3D model")

    with pytest.raises(ValidatorFailed, match="could not detect glTF format"):
        validate_gltf(tmp_path / "model.bin")


def _gltf_with_buffer(folder: Path, uri: str) -> Path:
    doc = hm.triangle_doc()
    doc["buffers"] = [{"uri": uri, "byteLength": len(hm.TRIANGLE)}]
    path = folder / "tri.gltf"
    path.write_text(json.dumps(doc))
    return path


def test_external_buffers_beside_the_file_are_read(tmp_path):
    (tmp_path / "tri.bin").write_bytes(hm.TRIANGLE)

    verdict = validate_gltf(_gltf_with_buffer(tmp_path, "tri.bin"))

    assert verdict.ok, verdict.messages


def test_a_missing_external_buffer_is_reported(tmp_path):
    verdict = validate_gltf(_gltf_with_buffer(tmp_path, "gone.bin"))

    assert "IO_ERROR" in verdict.codes("error")


@pytest.mark.parametrize("uri", ["../outside.bin", "sub/../../outside.bin", "link.bin"])
def test_resources_outside_the_files_folder_are_never_read(tmp_path, uri):
    asset = tmp_path / "asset"
    (asset / "sub").mkdir(parents=True)
    (tmp_path / "outside.bin").write_bytes(hm.TRIANGLE)
    (asset / "link.bin").symlink_to(tmp_path / "outside.bin")

    verdict = validate_gltf(_gltf_with_buffer(asset, uri))

    assert "IO_ERROR" in verdict.codes("error")
    assert any("outside the asset's folder" in m.message for m in verdict.messages)


def test_an_absolute_resource_path_is_refused(tmp_path):
    (tmp_path / "tri.bin").write_bytes(hm.TRIANGLE)

    verdict = validate_gltf(_gltf_with_buffer(tmp_path, "file://" + str(tmp_path / "tri.bin")))

    assert "IO_ERROR" in verdict.codes("error")


def test_no_node_is_a_clear_unavailable_error(tmp_path):
    with pytest.raises(ValidatorUnavailable, match=r"Node\.js"):
        validate_gltf(ASSETS / "Duck.glb", node=str(tmp_path / "no-node"))


def test_no_npm_package_is_a_clear_unavailable_error(tmp_path):
    shutil.copy(Path(__file__).parents[2] / "tools/gltf-validator/validate.mjs", tmp_path)

    with pytest.raises(ValidatorUnavailable, match="make install"):
        validate_gltf(ASSETS / "Duck.glb", tool_dir=tmp_path)
