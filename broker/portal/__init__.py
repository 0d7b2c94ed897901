"""The web portal: static pages at ``/`` that speak the dx.gl API from the browser.

The pages are plain ES modules (no bundler, nothing fetched from the internet), served with
``<model-viewer>`` from ``static/vendor`` (copied there by ``make install``). The server
side is small: the page's configuration (what the API accepts, read from the API's own
code), a cookie that lets ``<video>``, ``<img>``, ``<model-viewer>`` and download links
reach the dx.gl file routes (which a browser cannot send a bearer token to), and the
account's ledger, which dx.gl has no route for. ``install`` is the one call broker/app.py
makes.
"""

from __future__ import annotations

from fastapi import FastAPI

from broker.portal.media_cookie import MediaCookie
from broker.portal.routes import STATIC, router, static_files


def install(app: FastAPI) -> None:
    """Mount the portal on the root app: its routes, its static files, its cookie."""
    app.include_router(router)
    app.mount(STATIC, static_files(), name="portal")
    app.add_middleware(MediaCookie)
