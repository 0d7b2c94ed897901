"""`meshfarm serve` with MESHFARM_API_PROCESSES=2: two processes answer on the one port,
the parent runs the dispatcher, /metrics adds up every process's counters, and SIGTERM
stops them all."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import psutil
import pytest

from bench.broker_load_bench import Broker, Client, free_port

BOX = Path(__file__).parent.parent / "assets" / "BoxTextured.glb"
RENDERS_DONE = re.compile(r'meshfarm_jobs_finished_total\{kind="render",outcome="done"\} (\S+)')


def _listening(proc: psutil.Process, port: int) -> bool:
    try:
        return any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port
            for c in proc.net_connections(kind="tcp")
        )
    except psutil.Error:
        return False


@pytest.mark.slow
def test_two_api_processes_serve_one_port_and_one_set_of_metrics(tmp_path: Path) -> None:
    port = free_port()
    broker = Broker(tmp_path, port, {"MESHFARM_API_PROCESSES": "2"})
    try:
        token = broker.token()
        broker.wait_ready()
        children = broker.ps.children(recursive=True)
        assert sum(_listening(c, port) for c in children) == 2, "two API processes listen"
        metrics_dir = Path(broker.ps.environ()["PROMETHEUS_MULTIPROC_DIR"])

        client = Client(broker.base, token)
        upload = client.upload(BOX)  # its free preview is the render the parent dispatches
        assert upload.status_code == 201, upload.text
        model_id = upload.json()["data"]["modelId"]
        renders = client.http.get(f"/models/{model_id}").json()["data"]["renders"]
        deadline = time.monotonic() + 120
        while client.status(renders[0]["id"]) != "done":
            assert time.monotonic() < deadline, "the preview render did not finish"
            time.sleep(0.2)

        # Each request lands on either process; every answer counts the parent's jobs.
        root = broker.base.removesuffix("/v1")
        for _ in range(6):
            text = httpx.get(f"{root}/metrics", headers=client.headers).text
            done = re.search(
                r'meshfarm_jobs_finished_total\{kind="render",outcome="done"\} (\S+)', text
            )
            assert done is not None and float(done.group(1)) >= 1.0, text[:2000]
    finally:
        broker.stop()
    assert broker.proc.returncode == 0, broker.stderr_path.read_text()[-2000:]
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
    assert not metrics_dir.exists()  # the temporary metrics files went with the server
