"""Outbound HTTP to URLs that users name (URL ingest; webhooks later), safe from SSRF.

A farm inside a private network must not become a way to read its neighbours. Checking the
name's addresses and then letting the HTTP client resolve it again is not enough: a DNS
answer that changes in between (rebinding) reaches any address. Here one resolution serves
both: the network backend under httpx resolves the name when it opens a connection, refuses
the whole name if any answer is not public, and connects to a vetted address itself. The
Host header, TLS SNI and the certificate check keep the name (httpcore takes them from the
URL, not from the socket). Every connection passes through it, so every redirect hop is
checked; environment proxies are ignored (a proxy would resolve the name, not us).
"""

from __future__ import annotations

import functools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = IPv4Address | IPv6Address
Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]

# Global by ipaddress's registry but a way back into some network: prefixes that embed an
# IPv4 address a gateway translates to (NAT64, 6to4, Teredo, IPv4-compatible/-mapped/-translated).
_EMBEDDING_V6 = tuple(
    ip_network(prefix)
    for prefix in (
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "::/96",
        "::ffff:0:0/96",
        "::ffff:0:0:0/96",
    )
)


class AddressRefused(Exception):
    """The name resolves to an address outside the public internet (or not at all)."""


def is_public(address: IPAddress) -> bool:
    """Unicast on the public internet, and not an IPv6 form that carries an IPv4 address."""
    if not address.is_global or address.is_multicast:
        return False
    return not (isinstance(address, IPv6Address) and any(address in net for net in _EMBEDDING_V6))


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """The system resolver, off the event loop (anyio runs getaddrinfo in a thread)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"The URL's host {host!r} does not resolve") from None
    return [ip_address(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with each connection's name resolved once and vetted."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolve = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def vetted(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to; refused whole if any answer is not public."""
        addresses = await self._resolve(host, port)
        if not addresses:
            raise AddressRefused(f"The URL's host {host!r} does not resolve")
        if not self.allow_private and not all(is_public(a) for a in addresses):
            raise AddressRefused(f"The URL's host {host!r} is not a public address")
        return list(dict.fromkeys(addresses))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        started = time.monotonic()
        try:
            with anyio.fail_after(timeout):
                addresses = await self.vetted(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        error: Exception = httpcore.ConnectError(f"no address of {host!r} answered")
        for address in addresses:
            left = None if timeout is None else max(0.001, timeout - (time.monotonic() - started))
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # the next address, as a browser would
                error = exc
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("Unix sockets are not reachable from here")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """One CA bundle per process: loading it takes ~30-90 ms of the event loop's time, which
    a context per request would spend again for every concurrent fetch."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request/response mapping, error mapping) over the guarded
    backend: only its connection pool is replaced."""

    def __init__(self, backend: GuardedBackend, tls: ssl.SSLContext | None = None) -> None:
        context = tls or _default_tls()
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=backend)


def guarded_client(
    backend: GuardedBackend, *, tls: ssl.SSLContext | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """An AsyncClient whose every connection goes through ``backend``; redirects are the
    caller's to follow (each one is a new request, so a new vetted connection). ``tls``:
    the CAs to trust (default: certifi's)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(backend, tls),
        trust_env=False,
        follow_redirects=False,
        **kwargs,
    )
