"""A convert job run by a worker as the dispatcher hands it out: the upload converted,
checked by the target's own validator, graded, and every output uploaded under the
attempt's prefix with the report as the event's result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange.asset import read_asset
from health.validators import check_arkit, validate_gltf
from workers.config import Settings
from workers.jobs import Assignment, JobEvent, StoredInput
from workers.pipeline import run_job
from workers.specs import ConvertSpec
from workers.storage.local import LocalStore

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _convert(
    tmp_path: Path, source: Path, target: str, fmt: str, **settings: object
) -> tuple[JobEvent, Path]:
    store = LocalStore(tmp_path / "store")
    store.put_file(f"conversions/c/source/upload.{fmt}", source)
    job = Assignment(
        job_id="j",
        attempt=1,
        lease_version=1,
        output_prefix="conversions/c/attempt-1",
        spec=ConvertSpec(conversion_id="c", target=target),
        inputs={"source": StoredInput(key=f"conversions/c/source/upload.{fmt}", format=fmt)},
    )
    events: list[JobEvent] = []
    config = Settings(data_dir=tmp_path / "data", _env_file=None, **settings)  # type: ignore[call-arg]
    run_job(job, store, config, events.append)
    return events[-1], tmp_path / "store"


def test_a_glb_conversion_uploads_the_file_its_report_and_a_pdf(tmp_path: Path) -> None:
    done, root = _convert(tmp_path, ASSETS / "Duck.glb", "glb", "glb")
    assert done.kind == "done", done.message
    assert set(done.assets) >= {"asset", "report", "report_pdf", "thumbnail"}
    assert all(a.key.startswith("conversions/c/attempt-1/") for a in done.assets.values())
    output = root / done.assets["asset"].key
    assert validate_gltf(output).errors == 0
    assert len(read_asset(output).meshes) >= 1
    report = json.loads((root / done.assets["report"].key).read_text())
    assert report == done.result
    assert 0 <= report["health_score"] <= 100
    assert report["engine_readiness"]["web_threejs"] is True
    assert (root / done.assets["report_pdf"].key).read_bytes().startswith(b"%PDF")
    assert (root / done.assets["thumbnail"].key).read_bytes().startswith(b"\x89PNG")


def test_a_usdz_conversion_is_arkit_clean(tmp_path: Path) -> None:
    pytest.importorskip("pxr")
    done, root = _convert(tmp_path, ASSETS / "teapot_binary.stl", "usdz", "stl")
    assert done.kind == "done", done.message
    assert check_arkit(root / done.assets["asset"].key).ok
    assert done.result is not None and done.result["geometry"]["triangles"] > 0


@pytest.mark.slow
def test_an_fbx_conversion_goes_through_blender(tmp_path: Path) -> None:
    fbx = next((ASSETS / "fbx").glob("*.fbx"))
    done, root = _convert(tmp_path, fbx, "glb", "fbx")
    assert done.kind == "done", done.message
    assert validate_gltf(root / done.assets["asset"].key).errors == 0
    assert done.result is not None and done.result["geometry"]["triangles"] > 0


def test_a_broken_upload_fails_the_job_with_a_message_for_the_user(tmp_path: Path) -> None:
    done, _ = _convert(tmp_path, ASSETS / "bad" / "invalid_magic.glb", "usdz", "glb")
    assert done.kind == "error"
    assert done.message and "Internal error" not in done.message
    assert str(tmp_path) not in done.message


def test_a_conversion_past_its_deadline_fails_the_job_not_the_worker(tmp_path: Path) -> None:
    done, _ = _convert(tmp_path, ASSETS / "Duck.glb", "usdz", "glb", convert_timeout_seconds=0.2)
    assert done.kind == "error"
    assert done.message == "converting the file took longer than 0.2 s"
