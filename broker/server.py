"""uvicorn's HTTP protocol with deadlines on receiving a request.

uvicorn closes only idle keep-alive connections: a client that sends half its headers
(slowloris) or trickles a body at 100 B/s holds its connection, and for an upload a staging
file, for as long as it likes. The protocol class made here closes such a connection:

- head: the request line and headers must arrive within ``header_seconds`` of the request's
  first byte (of the connection's opening, for the first request);
- body: no pause longer than ``body_seconds``, and after that grace the body must keep up an
  average of ``body_min_rate`` bytes/s — mod_reqtimeout's rule, a deadline of
  ``start + body_seconds + received / body_min_rate`` — so a slow but steady upload of any
  size finishes while a 100 B/s one is cut.

Once a request is received nothing is timed: a long render download or URL ingest is the
app's business. Time the server spends not reading (flow control) is not held against
the client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from workers.config import Settings

log = logging.getLogger("meshfarm.server")


def configure_logging() -> None:
    """The log lines of ``meshfarm serve`` and of each of its API processes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@dataclass(frozen=True)
class ReceiveTimeouts:
    header_seconds: float = 10.0
    body_seconds: float = 20.0
    body_min_rate: int = 1000


def receive_timeouts(settings: Settings) -> ReceiveTimeouts:
    return ReceiveTimeouts(
        settings.header_timeout_seconds, settings.body_timeout_seconds, settings.body_min_rate
    )


def timed_protocol(
    timeouts: ReceiveTimeouts, base: type[asyncio.Protocol] = AutoHTTPProtocol
) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's protocol (httptools or h11) for ``uvicorn.Config(http=...)``."""

    class TimedProtocol(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._deadline: asyncio.TimerHandle | None = None
            self._timed_cycle: object | None = None
            self._phase = "head"
            self._body_start = self._last_byte = 0.0
            self._received = 0
            self._arm(timeouts.header_seconds)

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._phase == "idle":  # the first byte of the connection's next request
                self._phase = "head"
                self._arm(timeouts.header_seconds)
            elif self._phase == "body":
                self._received += len(data)
                self._last_byte = time.monotonic()
            super().data_received(data)
            self._follow_request()

        # --- where the current request is -----------------------------------------------
        def _follow_request(self) -> None:
            cycle = self.cycle
            if self._phase == "head" and cycle is not None and cycle is not self._timed_cycle:
                self._timed_cycle = cycle
                self._phase = "body"
                self._body_start = self._last_byte = time.monotonic()
                self._received = 0
                self._arm(timeouts.body_seconds)
            if self._phase == "body" and not cycle.more_body:
                self._phase = "idle"
                self._cancel()

        def _body_deadline(self) -> float:
            by_pause = self._last_byte + timeouts.body_seconds
            if timeouts.body_min_rate <= 0:
                return by_pause
            by_rate = (
                self._body_start + timeouts.body_seconds + self._received / timeouts.body_min_rate
            )
            return min(by_pause, by_rate)

        # --- the one timer --------------------------------------------------------------
        def _arm(self, seconds: float) -> None:
            self._cancel()
            self._deadline = self.loop.call_later(max(seconds, 0.0), self._expired)

        def _cancel(self) -> None:
            if getattr(self, "_deadline", None) is not None:
                self._deadline.cancel()  # type: ignore[union-attr]
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing() or self._phase == "idle":
                return
            cycle = self.cycle
            if self._phase == "head":
                if cycle is not None and not cycle.response_complete:
                    # A pipelined request waits for the answer to the one before it.
                    self._arm(timeouts.header_seconds)
                    return
                self._close("request head not received within %s s", timeouts.header_seconds)
                return
            now = time.monotonic()
            if self.flow.read_paused:  # the app is not reading: not the client's fault
                self._body_start = self._last_byte = now
                self._received = 0
                self._arm(timeouts.body_seconds)
                return
            remaining = self._body_deadline() - now
            if remaining > 0:
                self._arm(remaining)
                return
            self._close(
                "request body stalled or slower than %s B/s (%s s grace)",
                timeouts.body_min_rate,
                timeouts.body_seconds,
            )

        def _close(self, why: str, *args: object) -> None:
            client = ":".join(map(str, self.client)) if self.client else "a client"
            log.info("closing the connection of %s: " + why, client, *args)
            self.transport.close()

    return TimedProtocol
