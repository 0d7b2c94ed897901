"""Each API operation as a :class:`~meshfarm_client._http.Call`, built once for both
clients; the paths and field names are dx.gl's (docs: the dx.gl v1 API)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from meshfarm_client._http import WHAT_PATHS, Call, Progress, ProgressReader
from meshfarm_client.models import Settings, settings_json


def _keyed(call: Call, key: str | None) -> Call:
    if key is not None:
        call.headers["Idempotency-Key"] = key
    return call


def account() -> Call:
    return Call("GET", "/v1/account")


def upload(
    path: Path,
    settings: Settings,
    progress: Progress | None,
    key: str | None,
    opened: list[IO[bytes]],
) -> Call:
    """The file is opened afresh for each attempt (``opened`` keeps them to close)."""

    def files() -> dict[str, Any]:
        raw = path.open("rb")
        opened.append(raw)
        return {"file": (path.name, ProgressReader(raw, progress), "application/octet-stream")}

    data = {"renderSettings": json.dumps(settings_json(settings))} if settings else None
    return _keyed(Call("POST", "/v1/models", data=data, files=files), key)


def render(model_id: str, settings: Settings, key: str | None) -> Call:
    body = {"modelId": model_id, "renderSettings": settings_json(settings)}
    return _keyed(Call("POST", "/v1/renders", json=body), key)


def batch(items: Iterable[tuple[str, Settings]], key: str | None) -> Call:
    renders = [{"modelId": m, "renderSettings": settings_json(s)} for m, s in items]
    return _keyed(Call("POST", "/v1/renders/batch", json={"renders": renders}), key)


def get_render(render_id: str) -> Call:
    return Call("GET", f"/v1/renders/{render_id}")


def list_renders(model: str | None, status: str | None, limit: int, offset: int) -> Call:
    params = {"model": model, "status": status, "limit": limit, "offset": offset}
    return Call("GET", "/v1/renders", params=params)


def dismiss(render_id: str) -> Call:
    return Call("PATCH", f"/v1/renders/{render_id}/dismiss")


def asset(render_id: str, what: str, headers: dict[str, str]) -> Call:
    path, params = WHAT_PATHS[what]
    return Call("GET", f"/v1/renders/{render_id}/{path}", params=params, headers=headers)


def quote(items: Iterable[Settings], key: str | None) -> Call:
    body = {"renders": [settings_json(s) for s in items]}
    return _keyed(Call("POST", "/v1/quote", json=body), key)


def list_models(limit: int, offset: int, tags: Sequence[str], archived: bool) -> Call:
    params = {
        "limit": limit,
        "offset": offset,
        "tags": ",".join(tags) or None,
        "archived": "true" if archived else None,
    }
    return Call("GET", "/v1/models", params=params)


def get_model(model_id: str) -> Call:
    return Call("GET", f"/v1/models/{model_id}")


def update_model(model_id: str, fields: dict[str, Any]) -> Call:
    return Call("PATCH", f"/v1/models/{model_id}", json=fields)


def archive(model_id: str, archived: bool) -> Call:
    return Call("PATCH", f"/v1/models/{model_id}/{'archive' if archived else 'unarchive'}")


def merged_tags(current: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> list[str]:
    """The model's tags with ``add`` appended and ``remove`` taken out (as the farm cleans
    them: trimmed, lower case, no repeats)."""
    gone = {t.strip().lower() for t in remove}
    tags: list[str] = []
    for tag in (*current, *add):
        clean = tag.strip().lower()
        if clean and clean not in gone and clean not in tags:
            tags.append(clean)
    return tags
