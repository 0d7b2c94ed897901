"""The synchronous client: ``Client(base_url, token)`` or ``Client.from_config()``.

Every call is retried on a dropped connection, 429 and 5xx (and 409
``idempotency_in_progress``) with exponential backoff, waiting what ``Retry-After`` asks;
POSTs carry one ``Idempotency-Key`` across their attempts, so a retry never renders or
charges twice. Errors are :mod:`meshfarm_client.errors` exceptions with dx.gl's code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

from meshfarm_client import _calls as calls
from meshfarm_client._http import (
    USER_AGENT,
    Call,
    Progress,
    Resumable,
    RetryPolicy,
    StartOver,
    base_of,
    data_of,
    download_name,
    final,
    list_of,
    poll_pauses,
    raise_for,
)
from meshfarm_client.config import Credentials, load
from meshfarm_client.errors import ApiError, TransportError
from meshfarm_client.models import (
    Account,
    BatchItem,
    Model,
    ModelDetail,
    Page,
    Quote,
    Render,
    Settings,
    Upload,
)


class Client:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_of(base_url)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=timeout,
        )

    @classmethod
    def from_config(cls, credentials: Credentials | None = None, **options: Any) -> Client:
        """From ``meshfarm client login``'s file (or ``MESHFARM_URL`` / ``MESHFARM_TOKEN``)."""
        found = credentials or load()
        return cls(found.base_url, found.token, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------
    def _send(self, call: Call) -> httpx.Response:
        for attempt in range(self.retry.attempts):
            try:
                response = self._http.request(**call.request())
            except httpx.TransportError as exc:
                what = f"{call.method} {call.path}"
                self._sleep(self.retry.after_failure(attempt, exc, what))
                continue
            pause = self.retry.after_answer(attempt, response)
            if pause is None:
                return response
            self._sleep(pause)
        raise AssertionError("unreachable")

    # --- account, quote --------------------------------------------------------------------
    def account(self) -> Account:
        return data_of(Account, self._send(calls.account()))

    def quote(self, items: Iterable[Settings], *, idempotency_key: str | None = None) -> Quote:
        return data_of(Quote, self._send(calls.quote(items, idempotency_key)))

    # --- models ---------------------------------------------------------------------------
    def upload(
        self,
        path: str | Path,
        settings: Settings = None,
        *,
        progress: Progress | None = None,
        idempotency_key: str | None = None,
    ) -> Upload:
        """Stream a model file to the farm (it starts its render at once)."""
        opened: list[IO[bytes]] = []
        try:
            call = calls.upload(Path(path), settings, progress, idempotency_key, opened)
            return data_of(Upload, self._send(call))
        finally:
            for raw in opened:
                raw.close()

    def models(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        tags: Sequence[str] = (),
        archived: bool = False,
    ) -> Page[Model]:
        response = self._send(calls.list_models(limit, offset, tags, archived))
        return Page[Model].model_validate(response.json())

    def model(self, model_id: str) -> ModelDetail:
        return data_of(ModelDetail, self._send(calls.get_model(model_id)))

    def update_model(self, model_id: str, **fields: Any) -> Model:
        """``title``, ``sku``, ``tags`` (the whole list) as dx.gl's PATCH takes them."""
        return data_of(Model, self._send(calls.update_model(model_id, fields)))

    def tag_model(
        self, model_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> Model:
        current = self.model(model_id).tags
        tags = calls.merged_tags(current, add, remove)
        return self.update_model(model_id, tags=tags)

    def archive_model(self, model_id: str, archived: bool = True) -> Model:
        return data_of(Model, self._send(calls.archive(model_id, archived)))

    # --- renders --------------------------------------------------------------------------
    def render(
        self, model_id: str, settings: Settings = None, *, idempotency_key: str | None = None
    ) -> Render:
        return data_of(Render, self._send(calls.render(model_id, settings, idempotency_key)))

    def batch(
        self, items: Iterable[tuple[str, Settings]], *, idempotency_key: str | None = None
    ) -> list[BatchItem]:
        """At most 100 (model id, settings) pairs, charged all or nothing."""
        return list_of(BatchItem, self._send(calls.batch(items, idempotency_key)))

    def get_render(self, render_id: str) -> Render:
        return data_of(Render, self._send(calls.get_render(render_id)))

    def renders(
        self,
        *,
        model: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Render]:
        response = self._send(calls.list_renders(model, status, limit, offset))
        return Page[Render].model_validate(response.json())

    def dismiss(self, render_id: str) -> Render:
        return data_of(Render, self._send(calls.dismiss(render_id)))

    def wait(
        self,
        render_id: str,
        *,
        timeout: float | None = None,
        on_update: Callable[[Render], None] | None = None,
    ) -> Render:
        """Poll until the render is done (backing off to one poll in 10 s); raises
        :class:`~meshfarm_client.errors.RenderFailed` if it ends in error, ``TimeoutError``
        past ``timeout`` seconds (the render goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for pause in poll_pauses():
            render = self.get_render(render_id)
            if on_update is not None:
                on_update(render)
            if final(render) is not None:
                return render
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(f"render {render_id} is still {render.status}")
            self._sleep(pause)
        raise AssertionError("unreachable")

    def download(
        self,
        render_id: str,
        what: str = "video",
        to: str | Path = ".",
        *,
        progress: Progress | None = None,
    ) -> Path:
        """Stream one of a done render's files (``video``, ``web``, ``poster``, ``thumb``,
        ``bundle``, ``dataset``) to ``to`` (a folder: named after the render). A download
        cut short leaves ``<name>.part``; the next call asks only for the rest (Range)."""
        target = Path(to)
        if target.is_dir():
            target = target / download_name(self.get_render(render_id), what)
        resumable = Resumable(target)
        for attempt in range(self.retry.attempts):
            try:
                return self._download_once(render_id, what, resumable, progress)
            except (StartOver, ApiError, httpx.TransportError) as exc:
                pause = self.retry.after_failure(attempt, exc, f"downloading {render_id} {what}")
                self._sleep(pause)
        raise TransportError(f"downloading {render_id} {what}: no attempt finished")

    def _download_once(
        self, render_id: str, what: str, resumable: Resumable, progress: Progress | None
    ) -> Path:
        call = calls.asset(render_id, what, resumable.headers())
        response = self._http.send(self._http.build_request(**call.request()), stream=True)
        try:
            if self.retry.retries(response):
                response.read()
                raise_for(response)
            out, done, total = resumable.begin(response)
            if out is None:
                return resumable.finish()
            with out:
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        finally:
            response.close()
        return resumable.finish()
