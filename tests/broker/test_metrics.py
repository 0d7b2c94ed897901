"""/metrics on a real farm (the dispatcher and a render worker process): what a render, a
failing render and a paused queue leave there, read the way Prometheus reads it
(prometheus_client's parser), and the Grafana dashboard in infra/ asking only for series
that exist."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from farms import farm_client, farm_context, paused
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import CreditEntry, Model
from broker.services import accounts
from workers.specs import KIND_RESOURCES

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DASHBOARD = Path(__file__).resolve().parents[2] / "infra" / "grafana" / "meshfarm-dashboard.json"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, TestClient]]:
    with (
        farm_context(tmp_path_factory.mktemp("metrics-farm"), lease_seconds=60) as ctx,
        farm_client(ctx, render_workers=1) as client,
    ):
        yield ctx, client


def _headers(ctx: AppContext, *, admin: bool = False, scopes: str | None = None) -> dict[str, str]:
    with transaction(ctx.sessions) as session:
        email = f"metrics-{uuid.uuid4().hex[:8]}@example.com"
        account = accounts.create_account(session, email, initial_credits=20, is_admin=admin)
        token = accounts.issue_token(session, account, scopes=scopes).token
    return {"Authorization": f"Bearer {token}"}


def scrape(client: TestClient, scraper: dict[str, str]) -> Samples:
    res = client.get("/metrics", headers=scraper)
    assert res.status_code == 200, res.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(res.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _upload(client: TestClient, user: dict[str, str], path: Path, settings: str) -> str:
    with path.open("rb") as fh:
        res = client.post(
            "/v1/models",
            headers=user,
            files={"file": (path.name, fh, "model/gltf-binary")},
            data={"renderSettings": settings},
        )
    assert res.status_code == 201, res.text
    return str(res.json()["data"]["modelId"])


def _finished(client: TestClient, user: dict[str, str], model_id: str) -> list[dict]:
    """The model's renders once none is still in progress (the preview included)."""
    deadline = time.monotonic() + 600
    while True:
        renders = client.get(f"/v1/models/{model_id}", headers=user).json()["data"]["renders"]
        if renders and all(r["status"] in ("done", "error") for r in renders):
            return renders
        assert time.monotonic() < deadline, renders
        time.sleep(0.5)


def _video_frames(client: TestClient, user: dict[str, str], render_id: str, tmp: Path) -> int:
    res = client.get(f"/v1/renders/{render_id}/video", headers=user)
    assert res.status_code == 200
    path = tmp / f"{render_id}.mp4"
    path.write_bytes(res.content)
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.slow
def test_a_render_a_failure_and_the_credits_as_prometheus_reads_them(farm, tmp_path):
    ctx, client = farm
    scraper = _headers(ctx, admin=True, scopes="metrics:read")
    user = _headers(ctx)
    before = scrape(client, scraper)

    duck = _upload(client, user, ASSETS / "Duck.glb", '{"length": 3}')
    renders = _finished(client, user, duck)
    assert [r["status"] for r in renders] == ["done", "done"], renders
    after = scrape(client, scraper)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    count = "meshfarm_job_duration_seconds_count"
    assert delta(count, kind="render", tier="share") == 1
    assert delta(count, kind="render", tier="preview") == 1  # the upload's free preview
    assert delta("meshfarm_job_duration_seconds_sum", kind="render", tier="share") > 0
    frames = sum(_video_frames(client, user, r["id"], tmp_path) for r in renders)
    assert frames >= 2 * 90  # two 3-second videos at 30 fps
    assert delta("meshfarm_frames_rendered_total", kind="render") == frames
    assert delta("meshfarm_frames_encoded_total", kind="render") == frames
    seconds = delta("meshfarm_render_seconds_sum", kind="render")
    assert seconds > 0
    print(f"\nrendered {frames} frames in {seconds:.1f} s: {frames / seconds:.1f} fps (llvmpipe)")
    assert delta("meshfarm_jobs_finished_total", kind="render", outcome="done") == 2
    # the ledger's charge is the counter's: 1 credit for the share render, none for the preview
    account = client.get("/v1/account", headers=user).json()["data"]
    with ctx.sessions() as session:
        reserved = -sum(
            e.delta
            for e in session.query(CreditEntry).filter_by(account_id=account["id"], kind="reserve")
        )
    assert reserved == 20 - account["credits"] == 1
    assert delta("meshfarm_credits_charged_total", kind="render") == reserved

    # a file damaged in storage after its upload passed the checks: its jobs fail in the worker
    with paused(ctx):
        box = _upload(client, user, ASSETS / "BoxTextured.glb", '{"length": 3}')
        with ctx.sessions() as session:
            key = session.get(Model, box).storage_key
        truncated = tmp_path / "truncated.glb"
        truncated.write_bytes((ASSETS / "BoxTextured.glb").read_bytes()[:200])
        ctx.store.put_file(key, truncated, "model/gltf-binary")
    failed = _finished(client, user, box)
    assert [r["status"] for r in failed] == ["error", "error"], failed
    for render in failed:
        got = client.get(f"/v1/renders/{render['id']}", headers=user).json()["data"]
        assert "GLB header says" in got["errorMessage"], got
    final = scrape(client, scraper)
    causes = {
        dict(labels)["cause"]: n - value(after, name, **dict(labels))
        for (name, labels), n in final.items()
        if name == "meshfarm_job_failures_total" and dict(labels)["kind"] == "render"
    }
    assert {c: n for c, n in causes.items() if n} == {"invalid_model": 2}, causes
    assert (
        value(final, "meshfarm_credits_refunded_total", kind="render")
        - value(after, "meshfarm_credits_refunded_total", kind="render")
        == 1
    )
    assert client.get("/v1/account", headers=user).json()["data"]["credits"] == 19


def test_the_queue_depth_and_age_per_kind_while_the_farm_is_paused(farm):
    ctx, client = farm
    scraper = _headers(ctx, admin=True, scopes="metrics:read")
    user = _headers(ctx)
    with paused(ctx):
        queued = value(scrape(client, scraper), "meshfarm_queue_depth", kind="render")
        fox = _upload(client, user, ASSETS / "Fox.glb", '{"length": 3}')
        time.sleep(1.1)
        samples = scrape(client, scraper)
        for render in client.get(f"/v1/models/{fox}", headers=user).json()["data"]["renders"]:
            assert client.delete(f"/v1/renders/{render['id']}", headers=user).status_code < 300
    assert value(samples, "meshfarm_queue_depth", kind="render") == queued + 2
    assert value(samples, "meshfarm_queue_oldest_seconds", kind="render") >= 1
    for kind in KIND_RESOURCES:  # every kind is a series, an empty queue a 0
        assert ("meshfarm_queue_depth", frozenset({("kind", kind)})) in samples


def _expressions(panel: dict) -> Iterator[str]:
    for target in panel.get("targets", []):
        yield target["expr"]
    for inner in panel.get("panels", []):
        yield from _expressions(inner)


def test_the_dashboard_reads_only_metrics_that_are_exposed(farm):
    ctx, client = farm
    board = json.loads(DASHBOARD.read_text())
    assert board["schemaVersion"] >= 36 and board["title"] and board["uid"]
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    assert board["__inputs"][0]["pluginId"] == "prometheus"
    panels = board["panels"]
    assert panels and all(p["datasource"]["uid"] == "${DS_PROMETHEUS}" for p in panels)
    exposed = {
        family.name: family.type
        for family in text_string_to_metric_families(
            client.get("/metrics", headers=_headers(ctx, admin=True, scopes="metrics:read")).text
        )
    }
    series = {f"{name}_total" if kind == "counter" else name for name, kind in exposed.items()}
    series |= {
        f"{n}_{s}"
        for n, kind in exposed.items()
        if kind == "histogram"
        for s in ("bucket", "sum", "count")
    }
    expressions = [e for p in panels for e in _expressions(p)]
    assert len(expressions) >= len(panels)
    expressions += [v["query"]["query"] for v in board["templating"]["list"]]
    for expr in expressions:
        names = set(re.findall(r"\bmeshfarm_[a-z_]+", expr))
        assert names and names <= series, (expr, names - series)
    # every metric family the farm exposes is on the dashboard
    used = {n for e in expressions for n in re.findall(r"\bmeshfarm_[a-z_]+", e)}
    missing = {n for n in exposed if not any(u.startswith(n) for u in used)}
    assert {n for n in missing if not n.endswith("_created")} == set()
