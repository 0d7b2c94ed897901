"""The asynchronous client: the calls of :class:`meshfarm_client.Client`, awaited, over
``httpx.AsyncClient`` (``async with AsyncClient.from_config() as farm: ...``). The calls,
retries, parsing and download bookkeeping are the sync client's (``_calls``, ``_http``);
only the waiting differs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
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


class AsyncClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_of(base_url)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=timeout,
        )

    @classmethod
    def from_config(cls, credentials: Credentials | None = None, **options: Any) -> AsyncClient:
        found = credentials or load()
        return cls(found.base_url, found.token, **options)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _send(self, call: Call) -> httpx.Response:
        for attempt in range(self.retry.attempts):
            try:
                response = await self._http.request(**call.request())
            except httpx.TransportError as exc:
                what = f"{call.method} {call.path}"
                await self._sleep(self.retry.after_failure(attempt, exc, what))
                continue
            pause = self.retry.after_answer(attempt, response)
            if pause is None:
                return response
            await self._sleep(pause)
        raise AssertionError("unreachable")

    async def account(self) -> Account:
        return data_of(Account, await self._send(calls.account()))

    async def quote(
        self, items: Iterable[Settings], *, idempotency_key: str | None = None
    ) -> Quote:
        return data_of(Quote, await self._send(calls.quote(items, idempotency_key)))

    async def upload(
        self,
        path: str | Path,
        settings: Settings = None,
        *,
        progress: Progress | None = None,
        idempotency_key: str | None = None,
    ) -> Upload:
        opened: list[IO[bytes]] = []
        try:
            call = calls.upload(Path(path), settings, progress, idempotency_key, opened)
            return data_of(Upload, await self._send(call))
        finally:
            for raw in opened:
                raw.close()

    async def models(
        self, *, limit: int = 50, offset: int = 0, tags: Sequence[str] = (), archived: bool = False
    ) -> Page[Model]:
        response = await self._send(calls.list_models(limit, offset, tags, archived))
        return Page[Model].model_validate(response.json())

    async def model(self, model_id: str) -> ModelDetail:
        return data_of(ModelDetail, await self._send(calls.get_model(model_id)))

    async def update_model(self, model_id: str, **fields: Any) -> Model:
        return data_of(Model, await self._send(calls.update_model(model_id, fields)))

    async def tag_model(
        self, model_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> Model:
        current = (await self.model(model_id)).tags
        return await self.update_model(model_id, tags=calls.merged_tags(current, add, remove))

    async def archive_model(self, model_id: str, archived: bool = True) -> Model:
        return data_of(Model, await self._send(calls.archive(model_id, archived)))

    async def render(
        self, model_id: str, settings: Settings = None, *, idempotency_key: str | None = None
    ) -> Render:
        call = calls.render(model_id, settings, idempotency_key)
        return data_of(Render, await self._send(call))

    async def batch(
        self, items: Iterable[tuple[str, Settings]], *, idempotency_key: str | None = None
    ) -> list[BatchItem]:
        return list_of(BatchItem, await self._send(calls.batch(items, idempotency_key)))

    async def get_render(self, render_id: str) -> Render:
        return data_of(Render, await self._send(calls.get_render(render_id)))

    async def renders(
        self,
        *,
        model: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Render]:
        response = await self._send(calls.list_renders(model, status, limit, offset))
        return Page[Render].model_validate(response.json())

    async def dismiss(self, render_id: str) -> Render:
        return data_of(Render, await self._send(calls.dismiss(render_id)))

    async def wait(
        self,
        render_id: str,
        *,
        timeout: float | None = None,
        on_update: Callable[[Render], None] | None = None,
    ) -> Render:
        deadline = None if timeout is None else time.monotonic() + timeout
        for pause in poll_pauses():
            render = await self.get_render(render_id)
            if on_update is not None:
                on_update(render)
            if final(render) is not None:
                return render
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(f"render {render_id} is still {render.status}")
            await self._sleep(pause)
        raise AssertionError("unreachable")

    async def download(
        self,
        render_id: str,
        what: str = "video",
        to: str | Path = ".",
        *,
        progress: Progress | None = None,
    ) -> Path:
        target = Path(to)
        if target.is_dir():
            target = target / download_name(await self.get_render(render_id), what)
        resumable = Resumable(target)
        for attempt in range(self.retry.attempts):
            try:
                return await self._download_once(render_id, what, resumable, progress)
            except (StartOver, ApiError, httpx.TransportError) as exc:
                pause = self.retry.after_failure(attempt, exc, f"downloading {render_id} {what}")
                await self._sleep(pause)
        raise TransportError(f"downloading {render_id} {what}: no attempt finished")

    async def _download_once(
        self, render_id: str, what: str, resumable: Resumable, progress: Progress | None
    ) -> Path:
        call = calls.asset(render_id, what, resumable.headers())
        response = await self._http.send(self._http.build_request(**call.request()), stream=True)
        try:
            if self.retry.retries(response):
                await response.aread()
                raise_for(response)
            if response.status_code not in (200, 206, 416):
                await response.aread()
            out, done, total = resumable.begin(response)
            if out is None:
                return resumable.finish()
            with out:
                async for chunk in response.aiter_bytes(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        finally:
            await response.aclose()
        return resumable.finish()
