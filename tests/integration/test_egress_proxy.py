"""The yt-dlp egress proxy, driven by httpx and raw sockets against loopback servers only."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from clipforge.egress_proxy import MAX_HEAD_BYTES, guarded_proxy
from clipforge.net_safety import IPAddress
from tests.integration.test_fetch import _make_tls_files


class EchoHandler(BaseHTTPRequestHandler):
    """Answers with the request it got: method, path and headers, as JSON."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body,
        }
        self.seen.append(record)
        data = json.dumps(record).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Keep-Alive", "timeout=5")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = _echo


def _serve(address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer((address, port), EchoHandler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = _serve("127.0.0.1")
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def seen() -> Iterator[list[dict[str, Any]]]:
    EchoHandler.seen.clear()
    yield EchoHandler.seen


@pytest.fixture()
def private_listener(server: int) -> Iterator[list[str]]:
    """A listener on 127.0.0.2 at the server's port: records anyone who connects there."""
    connected: list[str] = []
    sock = socket.socket()
    sock.bind(("127.0.0.2", server))
    sock.listen()
    sock.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = sock.accept()
            except OSError:
                continue
            connected.append(peer[0])
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield connected
    finally:
        stop.set()
        thread.join()
        sock.close()


def fake_resolver(host: str, port: int) -> list[str]:
    table = {
        "public.test": ["127.0.0.1"],
        "private.test": ["127.0.0.2"],
        "mixed.test": ["127.0.0.1", "127.0.0.2"],
    }
    if host not in table:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return table[host]


def only_server_is_public(ip: IPAddress) -> bool:
    return ip == ipaddress.ip_address("127.0.0.1")


GUARDED: dict[str, Any] = {"resolver": fake_resolver, "address_allowed": only_server_is_public}


async def raw_exchange(proxy_url: str, data: bytes, *, read_all: bool = True) -> bytes:
    """Send raw bytes to the proxy and return what it answers until it closes."""
    port = int(proxy_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if read_all:
            return await asyncio.wait_for(reader.read(), 5)
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()


async def test_loopback_refused_by_default(
    server: int, seen: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="clipforge")
    async with (
        guarded_proxy() as proxy,
        httpx.AsyncClient(proxy=proxy.url, trust_env=False) as client,
    ):
        response = await client.get(f"http://127.0.0.1:{server}/secret?token=abc")
    assert response.status_code == 403
    assert response.headers["connection"] == "close"
    assert seen == []
    assert proxy.refused == ["127.0.0.1"]
    text = caplog.text
    assert "refused 127.0.0.1" in text and "token" not in text and "/secret" not in text


async def test_allowed_with_policy_forwards_origin_form(
    server: int, seen: list[dict[str, Any]]
) -> None:
    async with (
        guarded_proxy(**GUARDED) as proxy,
        httpx.AsyncClient(proxy=proxy.url, trust_env=False) as client,
    ):
        response = await client.get(
            f"http://public.test:{server}/watch?v=1",
            headers={"X-Test": "yes", "Proxy-Authorization": "Basic c2VjcmV0"},
        )
        posted = await client.post(f"http://127.0.0.1:{server}/api", content=b"hello")
    assert response.status_code == 200, response.text
    assert response.headers["connection"] == "close"
    assert "keep-alive" not in response.headers  # the origin's keep-alive is not passed on
    record = response.json()
    headers = {k.lower(): v for k, v in record["headers"]}
    assert record["method"] == "GET" and record["path"] == "/watch?v=1"  # origin form
    assert headers["host"] == f"public.test:{server}"
    assert headers["x-test"] == "yes"
    assert headers["connection"] == "close"
    assert not [k for k in headers if k.startswith("proxy-")]
    assert posted.status_code == 200
    assert posted.json()["body"] == "hello" and posted.json()["method"] == "POST"
    assert proxy.refused == []


@pytest.mark.parametrize("host", ["private.test", "mixed.test", "127.0.0.2", "2130706434"])
async def test_private_names_and_addresses_refused(
    host: str, server: int, private_listener: list[str]
) -> None:
    # mixed.test has one allowed and one private address: refused, like in check_url.
    async with (
        guarded_proxy(**GUARDED) as proxy,
        httpx.AsyncClient(proxy=proxy.url, trust_env=False) as client,
    ):
        response = await client.get(f"http://{host}:{server}/x")
    assert response.status_code == 403
    assert len(proxy.refused) == 1
    assert private_listener == []


async def test_metadata_refused_even_when_private_allowed() -> None:
    async with guarded_proxy(allow_private=True) as proxy:
        answer = await raw_exchange(
            proxy.url, b"CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
    assert answer.startswith(b"HTTP/1.1 403 ")
    assert proxy.refused == ["169.254.169.254"]


async def test_unknown_host_is_a_gateway_error_not_a_refusal() -> None:
    async with guarded_proxy(**GUARDED) as proxy:
        answer = await raw_exchange(proxy.url, b"GET http://nowhere.test/ HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 502 ") and b"could not be found" in answer
    assert proxy.refused == []


async def test_connect_to_refused_address_gets_403(
    server: int, private_listener: list[str]
) -> None:
    async with guarded_proxy(**GUARDED) as proxy:
        for target in (f"127.0.0.2:{server}", f"private.test:{server}", f"[::1]:{server}"):
            answer = await raw_exchange(
                proxy.url, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()
            )
            assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n"), answer
        async with httpx.AsyncClient(proxy=proxy.url, trust_env=False) as client:
            with pytest.raises(httpx.ProxyError, match="403"):
                await client.get(f"https://private.test:{server}/")
    assert proxy.refused == ["127.0.0.2", "private.test", "::1", "private.test"]
    assert private_listener == []


async def test_connect_tunnel_carries_tls_to_the_vetted_ip(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The certificate names only `public.test`, which only the injected resolver knows: the
    # proxy resolved and vetted it, connected to 127.0.0.1, and TLS ran end to end through it.
    ca, cert, key = _make_tls_files(tmp_path_factory.mktemp("tls"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    httpd = _serve("127.0.0.1", tls=ctx)
    port = int(httpd.server_address[1])
    try:
        async with (
            guarded_proxy(**GUARDED) as proxy,
            httpx.AsyncClient(
                proxy=proxy.url,
                trust_env=False,
                verify=ssl.create_default_context(cafile=str(ca)),
            ) as client,
        ):
            response = await client.get(f"https://public.test:{port}/tls")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert response.status_code == 200
    assert response.json()["path"] == "/tls"
    assert proxy.refused == []


async def test_connect_tunnel_pipes_both_ways_and_half_close() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client's half-close arrives
        writer.write(data.upper())
        await writer.drain()
        writer.close()

    upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = upstream.sockets[0].getsockname()[1]
    try:
        async with guarded_proxy(**GUARDED) as proxy:
            proxy_port = int(proxy.url.rsplit(":", 1)[1])
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
            writer.write(f"CONNECT public.test:{port} HTTP/1.1\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 ")
            writer.write(b"ping " * 20_000)
            writer.write_eof()
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
    finally:
        upstream.close()
        await upstream.wait_closed()
    assert answer == b"PING " * 20_000


async def test_dns_rebinding_never_reaches_the_private_address(
    server: int, seen: list[dict[str, Any]], private_listener: list[str]
) -> None:
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["127.0.0.2"]

    async with (
        guarded_proxy(resolver=rebinding, address_allowed=only_server_is_public) as proxy,
        httpx.AsyncClient(proxy=proxy.url, trust_env=False) as client,
    ):
        first = await client.get(f"http://rebind.test:{server}/one")
        second = await client.get(f"http://rebind.test:{server}/two")
        tunnel = await raw_exchange(
            proxy.url, f"CONNECT rebind.test:{server} HTTP/1.1\r\n\r\n".encode()
        )
    # The first answer was vetted and connected to by IP (the system resolver does not know
    # rebind.test); later answers are private and refused. 127.0.0.2 never saw a connection.
    assert first.status_code == 200 and first.json()["path"] == "/one"
    assert second.status_code == 403
    assert tunnel.startswith(b"HTTP/1.1 403 ")
    assert [r["path"] for r in seen] == ["/one"]
    assert calls == ["rebind.test"] * 3  # one lookup per request, none behind our back
    assert private_listener == []


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"DELETE http://public.test/ HTTP/1.1\r\n\r\n", b"405"),
        (b"GET ftp://public.test/file HTTP/1.1\r\n\r\n", b"400"),
        (b"GET https://public.test/ HTTP/1.1\r\n\r\n", b"400"),
        (b"GET /relative HTTP/1.1\r\nHost: public.test\r\n\r\n", b"400"),
        (b"GET http://public.test/ HTTP/2.0\r\n\r\n", b"400"),
        (b"CONNECT public.test HTTP/1.1\r\n\r\n", b"400"),
        (b"CONNECT public.test:443/x HTTP/1.1\r\n\r\n", b"400"),
        (b"GET http://public.test/ HTTP/1.1\r\nBad Header\r\n\r\n", b"400"),
        (b"GET http://public.test/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", b"400"),
        (b"GET http://public.test/ HTTP/1.1\r\nX: a\nInjected: b\r\n\r\n", b"400"),
        (b"POST http://public.test/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (b"POST http://public.test/ HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", b"400"),
        (
            "POST http://public.test/ HTTP/1.1\r\nContent-Length: ²\r\n\r\n".encode("latin-1"),
            b"400",
        ),
        (b"GET http://public.test:99999/ HTTP/1.1\r\n\r\n", b"400"),
    ],
)
async def test_bad_requests_refused_clearly(
    request_bytes: bytes, status: bytes, seen: list[dict[str, Any]]
) -> None:
    async with guarded_proxy(**GUARDED) as proxy:
        answer = await raw_exchange(proxy.url, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer
    assert b"Connection: close" in answer
    if status == b"405":
        assert b"Allow: CONNECT, GET, HEAD, POST" in answer
    assert seen == []


async def test_oversized_head_refused() -> None:
    big = b"GET http://public.test/ HTTP/1.1\r\nX-Big: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"
    async with guarded_proxy(**GUARDED) as proxy:
        answer = await raw_exchange(proxy.url, big, read_all=False)
    assert answer.startswith(b"HTTP/1.1 431 ")


async def test_idle_connection_is_closed() -> None:
    async with guarded_proxy(**GUARDED, idle_timeout=0.2) as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET http://public.test/ HTTP/1.1\r\n")  # and then nothing
        assert await asyncio.wait_for(reader.read(), 3) == b""
        writer.close()


async def test_proxy_closes_cleanly(server: int) -> None:
    async with guarded_proxy(**GUARDED) as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        assert proxy.url == f"http://127.0.0.1:{port}"
        # An open tunnel and a half-sent request are both torn down on exit.
        tunnel_reader, tunnel_writer = await asyncio.open_connection("127.0.0.1", port)
        tunnel_writer.write(f"CONNECT public.test:{server} HTTP/1.1\r\n\r\n".encode())
        head = await asyncio.wait_for(tunnel_reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 ")
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        idle_writer.write(b"GET http://public.test/ HTTP/1.1\r\n")
        await asyncio.sleep(0.05)
    assert await asyncio.wait_for(tunnel_reader.read(), 2) == b""
    assert await asyncio.wait_for(idle_reader.read(), 2) == b""
    tunnel_writer.close()
    idle_writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
