"""The SSRF guard of URL ingest: DNS rebinding, redirect hops, every non-global range.

The "internet" of these tests is a resolver and an address space of their own: a public
address is routed to a loopback server, every other one is unreachable, so no packet ever
leaves 127.0.0.0/8. Names the client does not resolve through the guard are resolved by the
same resolver (as an OS would), so a client that resolved a name twice would meet the
rebinding answer.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpcore
import pytest
import trustme

from broker.errors import InvalidUrl, UrlTimeout
from broker.ingest.url_fetch import FetchLimits, fetch_model
from broker.ssrf_guard import GuardedBackend, IPAddress, is_public
from testdata import ASSETS
from workers.config import Settings

DUCK = (ASSETS / "Duck.glb").read_bytes()
PUBLIC = ip_address("93.184.215.14")  # routed to the "public" loopback server below
LIMITS = FetchLimits(max_bytes=4 * 1024 * 1024, timeout_s=5, allow_private=False)


class _Server:
    """A loopback HTTP(S) server that records each request's Host header (and TLS SNI)."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]], tls: Any = None):
        self.hosts: list[str] = []
        self.sni: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hosts.append(self.headers.get("Host", ""))
                status, headers, body = routes.get(self.path, (404, {}, b"missing"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.configure_cert(context)
            context.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Resolver:
    """Answers from a script per name (the last answer repeats); counts the questions."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        try:
            return [ip_address(host)]
        except ValueError:
            pass
        script = self.answers.get(host, [[]])
        step = min(sum(1 for c in self.calls if c == host) - 1, len(script) - 1)
        return [ip_address(a) for a in script[step]]


class LabNetwork(httpcore.AsyncNetworkBackend):
    """The test's address space: loopback is real, ``routes`` maps public addresses onto
    loopback servers, anything else is unreachable. A name is resolved with ``resolver``."""

    def __init__(self, resolver: Resolver, routes: dict[IPAddress, int]) -> None:
        self.resolver = resolver
        self.routes = routes
        self.connects: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        try:
            target = ip_address(host)
        except ValueError:
            target = (await self.resolver(host, port))[0]
        self.connects.append((str(target), port))
        if target in self.routes:
            return await self._real.connect_tcp("127.0.0.1", self.routes[target], timeout=timeout)
        if target.version == 4 and target.is_loopback:
            return await self._real.connect_tcp(str(target), port, timeout=timeout)
        raise httpcore.ConnectError(f"{target} is unreachable in the test network")

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


@pytest.fixture(scope="module")
def private() -> Iterator[_Server]:
    """What an attacker wants to read: a service on loopback."""
    server = _Server({"/secret.glb": (200, {}, DUCK), "/Duck.glb": (200, {}, DUCK)})
    yield server
    server.close()


@pytest.fixture
def public(private: _Server) -> Iterator[_Server]:
    server = _Server(
        {
            "/Duck.glb": (200, {}, DUCK),
            "/to-loopback": (302, {"Location": f"http://127.0.0.1:{private.port}/secret.glb"}, b""),
            "/to-intranet": (302, {"Location": "http://intranet.test/secret.glb"}, b""),
            "/to-nat64": (302, {"Location": "http://[64:ff9b::7f00:1]/secret.glb"}, b""),
            "/to-public": (302, {"Location": "http://cdn.test/Duck.glb"}, b""),
        }
    )
    yield server
    server.close()


def _fetch(tmp_path: Path, url: str, network: GuardedBackend, **kwargs: Any) -> bytes:
    staged = asyncio.run(fetch_model(url, tmp_path, LIMITS, network=network, **kwargs))
    assert staged.path is not None
    return staged.path.read_bytes()


def test_a_name_that_rebinds_to_loopback_is_fetched_from_the_address_that_was_vetted(
    tmp_path, public, private
):
    """Public at the first question, the private service at every later one."""
    private.hosts.clear()
    resolver = Resolver({"rebind.test": [[str(PUBLIC)], ["127.0.0.1"]]})
    network = LabNetwork(resolver, {PUBLIC: public.port})
    url = f"http://rebind.test:{private.port}/Duck.glb"
    assert _fetch(tmp_path, url, GuardedBackend(resolve=resolver, inner=network)) == DUCK
    assert private.hosts == []  # never reached
    assert resolver.calls == ["rebind.test"]  # one resolution served the check and the connect
    assert network.connects == [(str(PUBLIC), private.port)]
    assert public.hosts == [f"rebind.test:{private.port}"]  # the name, not the address


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.7"], [str(PUBLIC), "127.0.0.1"], ["64:ff9b::7f00:1"], ["::ffff:127.0.0.1"]],
)
def test_a_name_with_any_non_public_answer_is_refused_before_connecting(
    tmp_path, public, private, answer
):
    resolver = Resolver({"evil.test": [answer]})
    network = LabNetwork(resolver, {PUBLIC: public.port})
    with pytest.raises(InvalidUrl, match=r"'evil\.test' is not a public address"):
        _fetch(
            tmp_path, "http://evil.test/Duck.glb", GuardedBackend(resolve=resolver, inner=network)
        )
    assert network.connects == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["/to-loopback", "/to-intranet", "/to-nat64"])
def test_every_redirect_hop_is_vetted(tmp_path, public, private, path):
    private.hosts.clear()
    resolver = Resolver({"shop.test": [[str(PUBLIC)]], "intranet.test": [["10.1.2.3"]]})
    network = LabNetwork(resolver, {PUBLIC: public.port})
    with pytest.raises(InvalidUrl, match="is not a public address"):
        _fetch(tmp_path, f"http://shop.test{path}", GuardedBackend(resolve=resolver, inner=network))
    assert private.hosts == []
    assert network.connects == [(str(PUBLIC), 80)]  # only the first hop connected


def test_a_redirect_to_another_public_name_is_followed(tmp_path, public):
    resolver = Resolver({"shop.test": [[str(PUBLIC)]], "cdn.test": [[str(PUBLIC)]]})
    network = LabNetwork(resolver, {PUBLIC: public.port})
    got = _fetch(
        tmp_path, "http://shop.test/to-public", GuardedBackend(resolve=resolver, inner=network)
    )
    assert got == DUCK
    assert resolver.calls == ["shop.test", "cdn.test"]
    assert public.hosts[-2:] == ["shop.test", "cdn.test"]


def test_tls_checks_the_certificate_and_sends_sni_for_the_name(tmp_path):
    """Connected to the vetted address, the TLS handshake still names the host."""
    ca = trustme.CA()
    server = _Server({"/Duck.glb": (200, {}, DUCK)}, tls=ca.issue_cert("secure.test"))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    try:
        resolver = Resolver({"secure.test": [[str(PUBLIC)]], "other.test": [[str(PUBLIC)]]})
        network = LabNetwork(resolver, {PUBLIC: server.port})
        guard = GuardedBackend(resolve=resolver, inner=network)
        url = "https://secure.test/Duck.glb"
        assert _fetch(tmp_path, url, guard, tls=client_context) == DUCK
        assert server.sni == ["secure.test"] and server.hosts == ["secure.test"]
        with pytest.raises(InvalidUrl, match="could not be fetched"):  # a cert for another name
            _fetch(tmp_path, "https://other.test/Duck.glb", guard, tls=client_context)
    finally:
        server.close()


def test_a_name_without_addresses_is_an_invalid_url(tmp_path):
    resolver = Resolver({})
    with pytest.raises(InvalidUrl, match=r"'nowhere\.test' does not resolve"):
        _fetch(tmp_path, "http://nowhere.test/x.glb", GuardedBackend(resolve=resolver))
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_never_resolves_is_cut_off_by_the_deadline(tmp_path):
    async def never(host: str, port: int) -> list[IPAddress]:
        await asyncio.sleep(60)
        return []

    limits = FetchLimits(max_bytes=1024, timeout_s=0.5, allow_private=False)
    started = time.monotonic()
    with pytest.raises(UrlTimeout):
        asyncio.run(
            fetch_model(
                "http://slow-dns.test/x.glb",
                tmp_path,
                limits,
                network=GuardedBackend(resolve=never),
            )
        )
    assert time.monotonic() - started < 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "240.0.0.1",
        "255.255.255.255",
        "224.0.0.251",  # multicast
        "239.255.255.250",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",  # multicast
        "ff0e::1",  # global-scope multicast
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::808:808",  # NAT64 of a public address: refused all the same
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:808:808::1",
        "2001:0:4136:e378::1",  # Teredo
        "::7f00:1",  # IPv4-compatible
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:8.8.8.8",
        "::ffff:0:7f00:1",  # IPv4-translated
        "2001:db8::1",  # documentation
    ],
)
def test_non_global_addresses_are_not_public(address):
    assert not is_public(ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "2a00:1450::1"])
def test_global_unicast_addresses_are_public(address):
    assert is_public(ip_address(address))


@pytest.fixture
def app_settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url, _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "host",
    ["[64:ff9b::7f00:1]", "[::ffff:127.0.0.1]", "224.0.0.1", "[2002:7f00:1::1]", "localhost"],
)
def test_ingest_refuses_non_public_hosts(client, ctx, user, private, host):
    private.hosts.clear()
    res = client.post(
        "/v1/models/ingest",
        headers=user.headers,
        json={"url": f"http://{host}:{private.port}/Duck.glb"},
    )
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "invalid_url"
    assert "not a public address" in res.json()["error"]["message"]
    assert private.hosts == []
    assert list(ctx.settings.tmp_dir.iterdir()) == []
