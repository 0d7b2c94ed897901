"""One safe-ZIP rule set, at upload and at render: the directory is checked before any
byte is inflated, then only what the model names is inflated, and counted."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import hostile_models as hm
import pytest

from exchange.errors import AssetInvalid, AssetUnsupported, ZipTooLarge
from exchange.gltf import gltf_in_zip
from exchange.limits import AssetLimits
from exchange.safe_zip import ZipModel

LIMITS = AssetLimits()


def _archive(tmp_path: Path, entries: dict[str, bytes], **kw: int) -> Path:
    path = tmp_path / "upload.zip"
    path.write_bytes(hm.zip_bytes(entries, **kw))
    return path


def _gltf(uri: str) -> bytes:
    """The triangle .gltf with its buffer in the file ``uri`` names."""
    return json.dumps(hm.triangle_doc(buffers=[{"byteLength": 36, "uri": uri}])).encode()


@pytest.mark.parametrize(
    ("entries", "needle"),
    [
        ({"../x.obj": b"v"}, "unsafe path in ZIP: '../x.obj'"),
        ({"/abs.obj": b"v"}, "unsafe path"),
        ({"C:/x.obj": b"v"}, "unsafe path"),
        ({"a//b.obj": b"v"}, "unsafe path"),
        ({"a.obj": b"v", "a.obj/": b""}, "both a file and a folder named 'a.obj'"),
        ({"readme.txt": b"hi"}, "ZIP contains no model"),
        ({"__MACOSX/m.gltf": b"{}", ".hidden.obj": b"v"}, "ZIP contains no model"),
        ({"a.obj": b"v", "b.gltf": b"{}"}, "one model, found 2"),
    ],
)
def test_the_directory_is_checked_first(
    tmp_path: Path, entries: dict[str, bytes], needle: str
) -> None:
    with pytest.raises(AssetInvalid, match=needle.replace("(", r"\(").replace(".", r"\.")):
        ZipModel(_archive(tmp_path, entries), LIMITS)


def test_entry_count_limit(tmp_path: Path) -> None:
    entries = {f"t{i}.png": b"x" for i in range(10)} | {"m.obj": b"v"}
    with pytest.raises(AssetInvalid, match="11 entries"):
        ZipModel(_archive(tmp_path, entries), AssetLimits(max_zip_entries=10))
    with ZipModel(_archive(tmp_path, entries), AssetLimits(max_zip_entries=11)) as archive:
        assert archive.model == "m.obj"


def test_encrypted_and_duplicate_entries(tmp_path: Path) -> None:
    path = tmp_path / "enc.zip"
    path.write_bytes(hm.encrypt_flag(hm.zip_bytes({"m.obj": b"v"}), "m.obj"))
    with pytest.raises(AssetInvalid, match=r"'m\.obj' is encrypted"):
        ZipModel(path, LIMITS)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("m.obj", b"v")
        zf.writestr("m.obj", b"v")
    path.write_bytes(buf.getvalue())
    with pytest.raises(AssetInvalid, match=r"two entries named 'm\.obj'"):
        ZipModel(path, LIMITS)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "junk.zip"
    path.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(AssetInvalid, match="not a valid ZIP archive"):
        ZipModel(path, LIMITS)


def test_expansion_limit_from_the_directory_and_from_the_bytes(tmp_path: Path) -> None:
    """The 512 MB of the settings everywhere (the renderer had 1 GiB of its own); what is
    inflated is counted too, every time."""
    assert AssetLimits().max_unzipped_bytes == 512 * 1024 * 1024
    path = _archive(tmp_path, {"m.obj": b"v" * 600, "pad.bin": b"\0" * 500})
    with pytest.raises(ZipTooLarge, match="expands to 1100 bytes"):
        ZipModel(path, AssetLimits(max_unzipped_bytes=1000))
    with ZipModel(path, AssetLimits(max_unzipped_bytes=1100)) as archive:
        assert archive.read("m.obj") == b"v" * 600
        with pytest.raises(ZipTooLarge, match="expands past the limit of 1100 bytes"):
            archive.read("m.obj")


def test_a_member_is_the_size_its_header_says(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("m.obj", b"v 0 0 0\n")
    data = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("m.obj")
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (info.file_size + 4).to_bytes(4, "little")
    path = tmp_path / "lies.zip"
    path.write_bytes(bytes(data))
    with (
        ZipModel(path, LIMITS) as archive,
        pytest.raises(AssetInvalid, match=r"'m\.obj' is not the size"),
    ):
        archive.read("m.obj")


def test_only_what_the_model_names_is_inflated(tmp_path: Path) -> None:
    """An unreferenced member that cannot be inflated does not matter: it is never read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("m/m.gltf", _gltf("tri%2Ebin"))
        zf.writestr("m/tri.bin", hm.TRIANGLE)
        zf.writestr("junk.bin", b"x" * 4096)
    path = tmp_path / "upload.zip"
    path.write_bytes(hm.corrupt_member(buf.getvalue(), "junk.bin"))
    with ZipModel(path, LIMITS) as archive:
        with pytest.raises(AssetInvalid, match=r"'junk\.bin' cannot be read"):
            archive.read("junk.bin")
        in_memory = gltf_in_zip(archive, LIMITS, None)
    assert in_memory.name == "m.gltf"
    assert in_memory.buffers[0] is not None and in_memory.buffers[0].read() == hm.TRIANGLE
    with ZipModel(path, LIMITS) as archive:
        on_disk = gltf_in_zip(archive, LIMITS, tmp_path / "work")
    extracted = sorted(
        p.relative_to(tmp_path / "work").as_posix() for p in (tmp_path / "work").rglob("*.*")
    )
    assert extracted == ["m/m.gltf", "m/tri.bin"]
    assert on_disk.buffers[0] is not None and on_disk.buffers[0].read() == hm.TRIANGLE


def test_references_stay_in_the_models_folder(tmp_path: Path) -> None:
    path = _archive(tmp_path, {"m/m.gltf": _gltf("../tri.bin"), "tri.bin": hm.TRIANGLE})
    with ZipModel(path, LIMITS) as archive, pytest.raises(AssetInvalid, match="outside the upload"):
        gltf_in_zip(archive, LIMITS, None)
    path = _archive(tmp_path, {"m.gltf": _gltf("other.bin")})
    with ZipModel(path, LIMITS) as archive, pytest.raises(AssetInvalid, match="missing file"):
        gltf_in_zip(archive, LIMITS, None)


def test_an_obj_scan_is_not_a_gltf(tmp_path: Path) -> None:
    path = _archive(tmp_path, {"scan.obj": hm.OBJ_TRIANGLE})
    with ZipModel(path, LIMITS) as archive, pytest.raises(AssetUnsupported, match=r"no \.gltf"):
        gltf_in_zip(archive, LIMITS, None)
