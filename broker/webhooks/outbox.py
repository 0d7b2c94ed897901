"""The webhook outbox: rows for finished jobs, then delivery with retries, in the broker.

One round (:meth:`WebhookLoop.run_once`) first writes a ``webhook_deliveries`` row for
every finished conversion that named a webhook and has none yet (the body is fixed then,
so every try sends the same bytes), then delivers the rows that are due. A row is claimed
by raising its ``attempts`` with a compare-and-set before the POST, so two brokers never
send one try twice; a failed try is retried after the next backoff delay, and after the
last one the row is given up (``given_up_at``, ``last_error``). A crash between the POST
and its record sends that try again: receivers de-duplicate on ``X-Meshfarm-Delivery``.
Every connection goes through the SSRF guard, its resolved address pinned.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.context import AppContext
from broker.db.engine import transaction
from broker.db.models import ApiToken, Conversion, Job, WebhookDelivery
from broker.jobs.machine import now
from broker.jobs.states import UNFINISHED, JobState
from broker.safe_text import printable
from broker.ssrf_guard import AddressRefused, GuardedBackend, guarded_client
from broker.webhooks.signing import HEADER, signature

log = logging.getLogger("meshfarm.webhooks")
Payload = Callable[[Conversion], dict[str, Any]]
"""The body a finished conversion's webhook carries (the dialect's words)."""
FINISHED = tuple(s.value for s in JobState if s not in UNFINISHED)
"""Completed, failed, dismissed or cancelled: the job will not change again."""
BATCH = 100
CLAIM_GRACE = timedelta(seconds=60)
"""How long a claimed try holds its row beyond the request's timeout (a crashed sender's
row is tried again after it)."""


@dataclass(frozen=True)
class Due:
    id: int
    job_id: str
    url: str
    body: str
    secret: str | None
    attempts: int
    """Tries made, this one included."""


def enqueue(session: Session, payload: Payload) -> int:
    """A delivery row for each finished conversion with a webhook that has none yet."""
    pending = session.scalars(
        select(Conversion)
        .join(Job, Job.id == Conversion.job_id)
        .where(
            Conversion.webhook_url.is_not(None),
            Job.state.in_(FINISHED),
            ~exists().where(WebhookDelivery.job_id == Conversion.job_id),
        )
        .order_by(Job.updated_at)
        .limit(BATCH)
    ).all()
    written = 0
    for conversion in pending:
        token = session.get(ApiToken, conversion.token_id) if conversion.token_id else None
        try:
            with session.begin_nested():
                session.add(
                    WebhookDelivery(
                        job_id=conversion.job_id,
                        url=conversion.webhook_url,
                        body=json.dumps(payload(conversion), separators=(",", ":")),
                        secret=token.webhook_secret if token is not None else None,
                        attempts=0,
                        next_attempt_at=now(),
                    )
                )
        except IntegrityError:  # another broker wrote it first (one row per job)
            continue
        written += 1
    return written


def claim_due(session: Session, timeout_s: float) -> list[Due]:
    """The rows due now, each claimed for one try (attempts + 1, pushed past its deadline)."""
    at = now()
    rows = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.given_up_at.is_(None),
            WebhookDelivery.next_attempt_at <= at,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    claimed = []
    hold = at + timedelta(seconds=timeout_s) + CLAIM_GRACE
    for row in rows:
        taken = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id, WebhookDelivery.attempts == row.attempts)
            .values(attempts=row.attempts + 1, next_attempt_at=hold)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) == 1:
            claimed.append(Due(row.id, row.job_id, row.url, row.body, row.secret, row.attempts + 1))
    return claimed


def record(
    session: Session, due: Due, error: str | None, backoff: Sequence[float], *, final: bool
) -> None:
    """A try's outcome: delivered; or retried after the next delay; or given up."""
    at = now()
    values: dict[str, Any]
    if error is None:
        values = {"delivered_at": at, "last_error": None}
    elif final or due.attempts > len(backoff):
        values = {"given_up_at": at, "last_error": error[:500]}
    else:
        delay = timedelta(seconds=backoff[due.attempts - 1])
        values = {"next_attempt_at": at + delay, "last_error": error[:500]}
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == due.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _post(client: httpx.AsyncClient, due: Due) -> tuple[str | None, bool]:
    """(None, _) when the receiver took it; else why not, and whether retrying is pointless."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "meshfarm-webhooks",
        "X-Meshfarm-Delivery": str(due.id),
    }
    if due.secret:
        headers[HEADER] = signature(due.secret, due.body, int(time.time()))
    try:
        response = await client.post(due.url, content=due.body.encode(), headers=headers)
    except AddressRefused as exc:
        return str(exc), True
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, False
    if 200 <= response.status_code < 300:
        return None, False
    return f"the receiver answered HTTP {response.status_code}", False


class WebhookLoop:
    """A daemon thread in the broker process: a round every ``poll_s`` seconds."""

    def __init__(self, ctx: AppContext, payload: Payload, *, poll_s: float | None = None):
        self.ctx = ctx
        self.payload = payload
        self.poll_s = ctx.settings.webhook_poll_seconds if poll_s is None else poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One round; returns how many tries it made."""
        settings = self.ctx.settings
        with transaction(self.ctx.sessions) as session:
            enqueue(session, self.payload)
        with transaction(self.ctx.sessions) as session:
            due = claim_due(session, settings.webhook_timeout_seconds)
        if not due:
            return 0
        outcomes = asyncio.run(self._send(due))
        backoff = settings.webhook_backoff_seconds
        with transaction(self.ctx.sessions) as session:
            for row, (error, final) in zip(due, outcomes, strict=True):
                record(session, row, error, backoff, final=final)
        for row, (error, _) in zip(due, outcomes, strict=True):
            if error is not None:
                log.warning(
                    "webhook of job %s, try %d: %s", row.job_id, row.attempts, printable(error)
                )
        return len(due)

    async def _send(self, due: list[Due]) -> list[tuple[str | None, bool]]:
        settings = self.ctx.settings
        backend = GuardedBackend(allow_private=settings.webhook_allow_private)
        timeout = httpx.Timeout(settings.webhook_timeout_seconds)
        async with guarded_client(backend, timeout=timeout) as client:
            return list(await asyncio.gather(*(_post(client, d) for d in due)))

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a DB hiccup: the next round tries again, nothing is lost
                log.exception("webhook round failed")
            self._stop.wait(self.poll_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
