"""Which webhook URLs are accepted when a job is submitted (delivery checks again, pinned)."""

from __future__ import annotations

from urllib.parse import urlsplit

from broker.errors import InvalidUrl
from broker.ssrf_guard import AddressRefused, Resolve, is_public, system_resolve

MAX_URL_LENGTH = 2048


async def check_webhook_url(
    raw: str, *, allow_private: bool, resolve: Resolve = system_resolve
) -> str:
    """The URL, or InvalidUrl: not http(s), no host, too long, or (unless allowed) a name
    that does not resolve to public addresses only."""
    url = raw.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(f"webhook_url is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidUrl("webhook_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl("webhook_url must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl("webhook_url may not carry credentials")
    try:
        addresses = await resolve(parts.hostname, port)
    except AddressRefused:
        raise InvalidUrl("webhook_url's host does not resolve") from None
    if not addresses:
        raise InvalidUrl("webhook_url's host does not resolve")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise InvalidUrl("webhook_url is not a public address")
    return url
