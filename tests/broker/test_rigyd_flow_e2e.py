"""What a Rigyd client sees while its jobs run on the whole farm (a real server, a CPU
worker building, a render worker simulating): the status sequence of the job lifecycle
page polled as the document's loop polls it (faster), with ``preprocess`` and ``timing``
consistent at every poll; a ZIP of a USD layer with its references made SimReady; and the
``demo`` scene, asked for by name and by default, judged by PyAV and a JSON parser."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
import requests
from farms import farm_context, farm_server
from test_rigyd_support import grant, new_key, usd_zip

ASSETS = Path(__file__).resolve().parents[1] / "assets"
pytestmark = pytest.mark.slow
EMAIL = "lifecycle@example.com"
CUBE_OBJ = b"""v -0.1 0 -0.1
v 0.1 0 -0.1
v 0.1 0 0.1
v -0.1 0 0.1
v -0.1 0.2 -0.1
v 0.1 0.2 -0.1
v 0.1 0.2 0.1
v -0.1 0.2 0.1
f 1 2 3
f 1 3 4
f 5 7 6
f 5 8 7
f 1 5 6
f 1 6 2
f 2 6 7
f 2 7 3
f 3 7 8
f 3 8 4
f 4 8 5
f 4 5 1
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("rigyd-flow")
    with farm_context(tmp) as ctx, farm_server(ctx, render_workers=1, cpu_workers=1) as url:
        key = new_key(ctx, EMAIL)
        grant(ctx, EMAIL, 10)
        yield f"{url}/rigyd/api", {"Authorization": f"Bearer {key}"}


def _submit(api: tuple[str, dict[str, str]], name: str, data: bytes) -> dict[str, Any]:
    base, headers = api
    res = requests.post(f"{base}/conversions", headers=headers, files={"file": (name, data)})
    assert res.status_code == 202, res.text
    return res.json()["data"]


def _consistent(data: dict[str, Any]) -> None:
    """``preprocess`` and ``timing`` agree with ``status`` at this poll."""
    pre, timing, status = data["preprocess"], data["timing"], data["status"]
    if status == "failed":
        return
    if pre["status"] == "skipped":
        assert status != "preprocessing" and pre["intermediate_glb"] is None
    elif status == "preprocessing":
        assert pre["status"] in ("pending", "running") and pre["completed_at"] is None
        assert pre["intermediate_glb"] is None and timing["queued_at"] is None
    else:
        assert pre["status"] == "completed" and pre["completed_at"] is not None
        assert pre["intermediate_glb"]["name"] == "intermediate.glb"
        assert timing["queued_at"] == pre["completed_at"]
    assert (timing["started_at"] is None) == (status in ("preprocessing", "queued")), data


def _statuses(
    api: tuple[str, dict[str, str]], job: dict[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """Every status seen, from the 202's on, repeats collapsed; and the final payload."""
    base, headers = api
    seen = [job["status"]]
    deadline = time.monotonic() + 300
    while True:
        data = requests.get(f"{base}/conversions/{job['id']}", headers=headers).json()["data"]
        _consistent(data)
        if data["status"] != seen[-1]:
            seen.append(data["status"])
        if data["status"] in ("completed", "failed"):
            return seen, data
        assert time.monotonic() < deadline, data
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("name", "data"),
    [("cube.obj", CUBE_OBJ), ("teapot.stl", (ASSETS / "teapot_binary.stl").read_bytes())],
)
def test_a_non_glb_upload_is_preprocessing_then_queued_then_running(api, name, data):
    seen, done = _statuses(api, _submit(api, name, data))
    assert seen == ["preprocessing", "queued", "running", "completed"], done.get("error")
    assert done["preprocess"]["telemetry"]["duration_ms"] >= 0
    glb = requests.get(done["preprocess"]["intermediate_glb"]["url"]).content
    assert glb[:4] == b"glTF"


def test_a_glb_is_queued_then_running_and_skips_preprocessing(api):
    seen, done = _statuses(api, _submit(api, "box.glb", (ASSETS / "BoxTextured.glb").read_bytes()))
    assert seen == ["queued", "running", "completed"], done.get("error")
    assert done["preprocess"]["status"] == "skipped"


def test_a_zip_of_a_usd_layer_and_its_references_becomes_simready(api):
    job = _submit(api, "crate.zip", usd_zip())
    seen, done = _statuses(api, job)
    assert seen == ["preprocessing", "queued", "running", "completed"], done.get("error")
    meta = done["input"]["metadata"]
    assert meta["primary_file"] == "crate/crate.usda"
    assert meta["textures"] == ["crate/parts/albedo.png"]
    stats = done["preprocess"]["input_stats"]
    assert stats["face_count"] == 12 and stats["texture_count"] == 1
    assert [round(v, 3) for v in sorted(stats["dimensions_m"])] == [0.4, 0.4, 0.4]
    assert done["report"]["validation"]["simready"]["passed"], done["report"]["validation"]
    assert [t["name"] for t in done["output"]["textures"]]  # the albedo travelled
    assert done["credits_charged"] == 1


@pytest.fixture(scope="module")
def box(api: tuple[str, dict[str, str]]) -> dict[str, Any]:
    _, done = _statuses(api, _submit(api, "box.glb", (ASSETS / "BoxTextured.glb").read_bytes()))
    assert done["status"] == "completed", done["error"]
    return done


@pytest.mark.parametrize("body", [{"scene": "demo"}, None], ids=["named", "default"])
def test_the_demo_scene_returns_a_video_a_gif_and_a_log(api, box, body, tmp_path):
    base, headers = api
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    res = requests.post(f"{base}/conversions/{box['id']}/simulate", headers=headers, **kwargs)
    assert res.status_code == 202, res.text
    sim = res.json()["data"]
    assert sim["job_type"] == "simulate_usd" and sim["source_job_id"] == box["id"]
    _, done = _statuses(api, sim)
    assert done["status"] == "completed", done["error"]
    assert done["parameters"] == {"scene": "demo"}
    out = done["output"]
    (tmp_path / "sim.mp4").write_bytes(requests.get(out["sim_video"]["url"]).content)
    with av.open(str(tmp_path / "sim.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(stream))
    assert frames > 30
    assert requests.get(out["sim_gif"]["url"]).content[:6] in (b"GIF87a", b"GIF89a")
    log = json.loads(requests.get(out["sim_log"]["url"]).content)
    assert log and done["report"]["verdict"]["finite"]
