"""A client polling a render every 250 ms sees dx.gl's documented flow, ``poster-done``
included, and can download the poster while the video is still being made."""

from __future__ import annotations

import time

import pytest

from broker.db.engine import transaction
from broker.services import accounts
from testdata import ASSETS

pytestmark = pytest.mark.slow


def test_poster_done_is_seen_by_a_poller(farm, farm_ctx):
    with transaction(farm_ctx.sessions) as session:
        account = accounts.create_account(session, "poll@example.com", initial_credits=10)
        headers = {"Authorization": f"Bearer {accounts.issue_token(session, account).token}"}
    with (ASSETS / "BoxTextured.glb").open("rb") as fh:
        res = farm.post(
            "/v1/models",
            headers=headers,
            files={"file": ("box.glb", fh)},
            data={"renderSettings": '{"length": 3}'},
        )
    render_id = res.json()["data"]["renderId"]
    seen: list[str] = []
    poster_while_encoding = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = farm.get(f"/v1/renders/{render_id}", headers=headers).json()["data"]["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "poster-done" and poster_while_encoding is None:
            poster = farm.get(f"/v1/renders/{render_id}/poster", headers=headers)
            poster_while_encoding = poster.status_code
            assert farm.get(f"/v1/renders/{render_id}/video", headers=headers).status_code == 404
        if status in ("done", "error"):
            break
        time.sleep(0.25)
    assert seen[-1] == "done", seen
    assert "poster-done" in seen, seen
    order = ["pending", "poster-processing", "poster-done", "video-processing", "done"]
    assert seen == [s for s in order if s in seen], seen  # never backwards
    assert poster_while_encoding == 200
