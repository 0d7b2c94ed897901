"""What `meshfarm client batch` reads from a folder or a CSV catalogue, and how a setting is
written on the command line; a bad row is refused naming its line, before anything is
uploaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from meshfarm_client.catalogue import CatalogueError, parse_settings, read

from testdata import ASSETS


def test_settings_as_json_a_file_or_pairs(tmp_path: Path) -> None:
    assert parse_settings('{"quality": "4k", "shadows": false}') == {
        "quality": "4k",
        "shadows": False,
    }
    saved = tmp_path / "s.json"
    saved.write_text('{"aspect": "1:1"}')
    assert parse_settings(f"@{saved}") == {"aspect": "1:1"}
    assert parse_settings("quality=4k,length=4.5,rotateY=45,easing=false,bgColor=#ff8800") == {
        "quality": "4k",
        "length": 4.5,
        "rotateY": 45,
        "easing": False,
        "bgColor": "#ff8800",
    }
    assert parse_settings(None) == {} and parse_settings(" ") == {}
    for bad in ("{not json", "[1, 2]", "quality"):
        with pytest.raises(CatalogueError):
            parse_settings(bad)


def test_a_folder_is_its_model_files(tmp_path: Path) -> None:
    for name in ("b.glb", "a.STL", "notes.txt", "c.usdz"):
        (tmp_path / name).write_bytes(b"x")
    rows = read(tmp_path, {"quality": "share"})
    assert [r.source for r in rows] == ["a.STL", "b.glb", "c.usdz"]
    assert all(r.settings == {"quality": "share"} for r in rows)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CatalogueError, match="holds no model files"):
        read(empty, {})


def test_csv_columns_become_settings_and_model_fields(tmp_path: Path) -> None:
    (tmp_path / "box.glb").write_bytes((ASSETS / "BoxTextured.glb").read_bytes())
    csv = tmp_path / "cat.csv"
    csv.write_text(
        "file,model_id,settings,quality,length,shadows,sku,title,tags\n"
        'box.glb,,"{""aspect"": ""1:1"", ""quality"": ""share""}",4k,4.5,false,B-1,Box,a; b ;\n'
        ",Ab3kF9x2qL1m,,,,,,,\n"
    )
    first, second = read(csv, {"bgColor": "#000000", "quality": "standard"})
    assert first.file == (tmp_path / "box.glb").resolve() and first.model_id is None
    assert first.settings == {
        "bgColor": "#000000",
        "aspect": "1:1",
        "quality": "4k",
        "length": 4.5,
        "shadows": False,
    }
    assert (first.sku, first.title, first.tags) == ("B-1", "Box", ["a", "b"])
    assert second.model_id == "Ab3kF9x2qL1m" and second.file is None
    assert second.settings == {"bgColor": "#000000", "quality": "standard"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("file,model_id\nbox.glb,Ab3k\n", "line 2: give either a file or a model_id"),
        ("file\nmissing.glb\n", "line 2: no file missing.glb"),
        ('model_id,settings\nAb3k,"{oops"\n', "line 2: render settings are not valid JSON"),
        ("quality\n4k\n", "needs a 'file' or a 'model_id' column"),
        ("file\n", "has no rows"),
    ],
)
def test_a_bad_catalogue_names_its_line(tmp_path: Path, rows: str, message: str) -> None:
    csv = tmp_path / "cat.csv"
    csv.write_text(rows)
    with pytest.raises(CatalogueError, match=message):
        read(csv, {})
