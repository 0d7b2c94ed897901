"""What each API process of ``meshfarm serve --api-processes N`` (N > 1) imports.

uvicorn starts such processes fresh (spawn) and finds the app and the HTTP protocol by
import string, so both are made here from the environment's settings, the same
``MESHFARM_*`` variables the parent read. The parent keeps the dispatcher, the janitor
and the webhook loop: these processes only answer requests.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.app import create_app
from broker.server import configure_logging, receive_timeouts, timed_protocol
from workers.config import Settings

TimedProtocol = timed_protocol(receive_timeouts(Settings()))


def api_app() -> FastAPI:
    configure_logging()
    return create_app(settings=Settings())
