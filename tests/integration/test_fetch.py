"""URL import against a loopback HTTP server started by the tests (no outside network)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from clipforge.fetch import (
    MSG_NO_VIDEO,
    MSG_PAGE_PRIVATE,
    DownloadError,
    download_media,
    pick_format,
)
from clipforge.net_safety import MSG_PRIVATE, MSG_SCHEME, IPAddress

SMALL = bytes(range(256)) * 8  # 2048 bytes
BIG = b"\x07" * 20_000
NO_VIDEO_PAGE = (
    b"<!doctype html><html><head><title>Hello</title></head><body>No video.</body></html>"
)
VIDEO_PAGE = (
    b"<!doctype html><html><head><title>My talk</title></head><body>"
    b'<video controls><source src="/talk.mp4" type="video/mp4"></video></body></html>'
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.log.append((parts.path, self.headers.get("Host", "")))
        path = parts.path
        if path in ("/small.bin", "/talk.mp4"):
            self._send(200, SMALL, "video/mp4")
        elif path == "/noext":
            self._send(200, SMALL, "application/octet-stream")
        elif path == "/big.bin":
            self._send(200, BIG, "video/mp4")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(BIG), 1000):
                piece = BIG[i : i + 1000]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/truncated":
            self._send(200, SMALL[:100], "video/mp4", length=len(SMALL))
            self.close_connection = True
        elif path == "/empty":
            self._send(200, b"", "video/mp4")
        elif path == "/page.html":
            self._send(200, NO_VIDEO_PAGE, "text/html; charset=utf-8")
        elif path == "/video-page.html":
            self._send(200, VIDEO_PAGE, "text/html; charset=utf-8")
        elif path == "/evil-page.html":
            port = self.headers.get("Host", "").rsplit(":", 1)[-1]
            page = VIDEO_PAGE.replace(b"/talk.mp4", f"http://127.0.0.2:{port}/talk.mp4".encode())
            self._send(200, page, "text/html")
        elif path == "/refresh-page.html":
            # A page whose only content sends the extractor on to another URL (query `to`).
            target = query["to"][0].encode()
            page = b'<html><head><meta http-equiv="refresh" content="0; url=' + target + b'">'
            self._send(200, page + b"</head><body></body></html>", "text/html")
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            n = int(query.get("n", ["0"])[0])
            self.send_response(301)
            self.send_header("Location", f"/loop?n={n + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, SMALL, "video/mp4")
        elif path == "/host":
            self._send(200, self.headers.get("Host", "").encode(), "video/mp4")
        elif path == "/boom":
            self._send(503, b"down", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def hits() -> Iterator[list[tuple[str, str]]]:
    Handler.log.clear()
    yield Handler.log


def fake_resolver(host: str, port: int) -> list[str]:
    """`public.test` is the test server; `private.test` stands for an internal host."""
    table = {"public.test": ["127.0.0.1"], "private.test": ["127.0.0.2"]}
    if host not in table:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return table[host]


def only_server_is_public(ip: IPAddress) -> bool:
    """Policy for tests: the test server's address counts as public, nothing else."""
    return ip == ipaddress.ip_address("127.0.0.1")


GUARDED: dict[str, Any] = {"resolver": fake_resolver, "address_allowed": only_server_is_public}


def assert_empty(folder: Path) -> None:
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_direct_download(server: int, tmp_path: Path, hits: list[tuple[str, str]]) -> None:
    progress: list[float] = []

    async def on_progress(fraction: float) -> None:
        progress.append(fraction)

    result = await download_media(
        f"http://127.0.0.1:{server}/small.bin?name=../../evil.sh",
        tmp_path / "dl",
        max_bytes=10_000,
        timeout=5,
        allow_private=True,
        on_progress=on_progress,
    )
    assert result.path.read_bytes() == SMALL
    assert result.size == len(SMALL)
    assert result.content_type == "video/mp4"
    assert result.source == "direct" and result.title is None
    assert result.path.parent == tmp_path / "dl"
    assert result.path.name.startswith("import-") and result.path.suffix == ".mp4"
    assert [p.name for p in (tmp_path / "dl").iterdir()] == [result.path.name]
    assert progress and progress[-1] == 1.0 and progress == sorted(progress)


async def test_unknown_type_gets_bin_name(server: int, tmp_path: Path) -> None:
    result = await download_media(
        f"http://127.0.0.1:{server}/noext",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        allow_private=True,
    )
    assert result.path.suffix == ".bin" and result.content_type == "application/octet-stream"


async def test_connects_to_vetted_address_with_original_host(server: int, tmp_path: Path) -> None:
    # `public.test` exists only in the injected resolver: success proves we connected to the
    # vetted IP instead of resolving again, and the Host header still names the site.
    result = await download_media(
        f"http://public.test:{server}/host", tmp_path, max_bytes=10_000, timeout=5, **GUARDED
    )
    assert result.path.read_bytes() == f"public.test:{server}".encode()


async def test_follows_safe_redirects(
    server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    url = f"http://public.test:{server}/redirect?to=/redirect%3Fto%3D/small.bin"
    result = await download_media(url, tmp_path, max_bytes=10_000, timeout=5, **GUARDED)
    assert result.path.read_bytes() == SMALL
    assert [p for p, _ in hits] == ["/redirect", "/redirect", "/small.bin"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/small.bin",
        "http://localhost:{port}/small.bin",
        "http://[::1]:{port}/small.bin",
        "http://2130706433:{port}/small.bin",
        "http://0x7f.1:{port}/small.bin",
        "http://127.1:{port}/small.bin",
    ],
)
async def test_private_url_refused_before_connecting(
    url: str, server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    with pytest.raises(DownloadError) as info:
        await download_media(url.format(port=server), tmp_path, max_bytes=10_000, timeout=5)
    assert str(info.value) == MSG_PRIVATE
    assert info.value.retryable is False
    assert hits == []
    assert_empty(tmp_path)


@pytest.mark.parametrize(
    "target",
    [
        "http://private.test:{port}/small.bin",
        "http://127.0.0.2:{port}/small.bin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/small.bin",
    ],
)
async def test_redirect_to_private_refused(
    target: str, server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    url = f"http://public.test:{server}/redirect?to={target.format(port=server)}"
    with pytest.raises(DownloadError) as info:
        await download_media(url, tmp_path, max_bytes=10_000, timeout=5, **GUARDED)
    assert str(info.value) == MSG_PRIVATE
    assert [p for p, _ in hits] == ["/redirect"]
    assert_empty(tmp_path)


async def test_redirect_to_other_scheme_refused(server: int, tmp_path: Path) -> None:
    url = f"http://public.test:{server}/redirect?to=file:///etc/passwd"
    with pytest.raises(DownloadError, match=MSG_SCHEME):
        await download_media(url, tmp_path, max_bytes=10_000, timeout=5, **GUARDED)


async def test_redirect_loop(server: int, tmp_path: Path, hits: list[tuple[str, str]]) -> None:
    with pytest.raises(DownloadError, match="redirected too many times"):
        await download_media(
            f"http://public.test:{server}/loop", tmp_path, max_bytes=10_000, timeout=5, **GUARDED
        )
    assert len(hits) == 6  # the first request and 5 redirects followed


async def test_unknown_host(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="could not be found"):
        await download_media("http://nowhere.test/x", tmp_path, max_bytes=10, timeout=5, **GUARDED)


@pytest.mark.parametrize("path", ["/big.bin", "/chunked"])
async def test_size_limit(path: str, server: int, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{server}{path}",
            tmp_path,
            max_bytes=5_000,
            timeout=5,
            allow_private=True,
        )
    assert "import limit" in str(info.value)
    assert str(info.value).startswith("The file is larger than the 0.0048 MB")
    assert info.value.retryable is False
    assert_empty(tmp_path)


async def test_size_limit_message_in_megabytes(server: int, tmp_path: Path) -> None:
    from clipforge.fetch import _too_large

    assert str(_too_large(2 * 1024**3)) == "The file is larger than the 2,048 MB import limit."
    assert str(_too_large(500 * 1024**2)) == "The file is larger than the 500 MB import limit."


async def test_chunked_within_limit(server: int, tmp_path: Path) -> None:
    result = await download_media(
        f"http://127.0.0.1:{server}/chunked",
        tmp_path,
        max_bytes=len(BIG),
        timeout=5,
        allow_private=True,
    )
    assert result.size == len(BIG) and result.path.read_bytes() == BIG


async def test_truncated_body_leaves_nothing(server: int, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{server}/truncated",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
        )
    assert info.value.retryable is True
    assert_empty(tmp_path)


async def test_empty_body(server: int, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="empty file"):
        await download_media(
            f"http://127.0.0.1:{server}/empty",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
        )
    assert_empty(tmp_path)


async def test_http_errors(server: int, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{server}/missing",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
        )
    assert str(info.value) == "The link answered HTTP 404 (Not Found)."
    assert info.value.retryable is False
    with pytest.raises(DownloadError, match="HTTP 503") as info:
        await download_media(
            f"http://127.0.0.1:{server}/boom",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
        )
    assert info.value.retryable is True
    assert_empty(tmp_path)


async def test_unreachable_port(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{port}/x", tmp_path, max_bytes=10, timeout=5, allow_private=True
        )
    assert str(info.value) == "Could not connect to 127.0.0.1."
    assert info.value.retryable is True
    assert_empty(tmp_path)


async def test_timeout(server: int, tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"did not answer within 0\.3 seconds") as info:
        await download_media(
            f"http://127.0.0.1:{server}/slow",
            tmp_path,
            max_bytes=10_000,
            timeout=0.3,
            allow_private=True,
        )
    assert time.monotonic() - start < 1.4
    assert info.value.retryable is True
    assert_empty(tmp_path)


async def test_failing_progress_callback_leaves_nothing(server: int, tmp_path: Path) -> None:
    async def broken(_fraction: float) -> None:
        raise RuntimeError("progress store down")

    with pytest.raises(RuntimeError):
        await download_media(
            f"http://127.0.0.1:{server}/small.bin",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
            on_progress=broken,
        )
    assert_empty(tmp_path)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.mp4", "file:///etc/passwd", "javascript:alert(1)"]
)
async def test_bad_scheme(url: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=MSG_SCHEME):
        await download_media(url, tmp_path, max_bytes=10, timeout=5)


async def test_html_page_without_video(server: int, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{server}/page.html",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            allow_private=True,
        )
    assert str(info.value) == MSG_NO_VIDEO
    assert_empty(tmp_path)


async def test_html_page_with_video_uses_ytdlp(
    server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    result = await download_media(
        f"http://127.0.0.1:{server}/video-page.html",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        allow_private=True,
    )
    assert result.source == "yt-dlp"
    assert result.path.read_bytes() == SMALL
    assert result.path.suffix == ".mp4"
    assert result.title is not None and result.title.startswith("My talk")  # yt-dlp adds " (1)"
    assert ("/talk.mp4", f"127.0.0.1:{server}") in hits
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]


async def test_ytdlp_media_url_goes_through_the_guard(
    server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    # The page (on the "public" 127.0.0.1) embeds a video on a private address: refused.
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://127.0.0.1:{server}/evil-page.html",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            **GUARDED,
        )
    assert str(info.value) == MSG_PRIVATE
    assert "/talk.mp4" not in [p for p, _ in hits]
    assert_empty(tmp_path)


async def test_ytdlp_requests_go_through_the_guarded_proxy(
    server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    # `public.test` exists only in the injected resolver, which yt-dlp itself never sees: it
    # can fetch the page only through the egress proxy, which resolves and vets it for it.
    result = await download_media(
        f"http://public.test:{server}/video-page.html",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        **GUARDED,
    )
    assert result.source == "yt-dlp" and result.path.read_bytes() == SMALL
    pages = [host for p, host in hits if p == "/video-page.html"]
    assert pages == [f"public.test:{server}"] * 2  # our vetting fetch, then yt-dlp's


@pytest.mark.parametrize(
    "target",
    [
        "http://private.test:{port}/video-page.html",  # a name resolving to a private address
        "http://127.0.0.2:{port}/video-page.html",  # a private address literal
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://private.test:{port}/video-page.html",  # through a CONNECT tunnel
    ],
)
async def test_ytdlp_own_request_to_private_address_refused(
    target: str, server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    # The page is fine; the extractor then follows its meta refresh to a private address.
    # That request is yt-dlp's own, so only the egress proxy stands in its way.
    to = target.format(port=server)
    with pytest.raises(DownloadError) as info:
        await download_media(
            f"http://public.test:{server}/refresh-page.html?to={to}",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            **GUARDED,
        )
    assert str(info.value) == MSG_PAGE_PRIVATE
    assert info.value.retryable is False
    assert [p for p, _ in hits] == ["/refresh-page.html", "/refresh-page.html"]
    assert_empty(tmp_path)


async def test_ytdlp_follows_refresh_to_allowed_page(
    server: int, tmp_path: Path, hits: list[tuple[str, str]]
) -> None:
    # The same page pointing at an allowed host works: the refusal above is the policy's doing.
    result = await download_media(
        f"http://public.test:{server}/refresh-page.html?to=http://public.test:{server}/video-page.html",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        **GUARDED,
    )
    assert result.source == "yt-dlp" and result.path.read_bytes() == SMALL
    assert "/video-page.html" in [p for p, _ in hits]


async def test_dns_rebinding_cannot_swap_the_address(server: int, tmp_path: Path) -> None:
    answers = iter([["127.0.0.1"]])  # then every later lookup answers a private address

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.2"])

    result = await download_media(
        f"http://rebind.test:{server}/small.bin",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        resolver=rebinding,
        address_allowed=only_server_is_public,
    )
    assert result.path.read_bytes() == SMALL


def test_pick_format_prefers_progressive_720p() -> None:
    formats: list[dict[str, Any]] = [
        {
            "url": "https://v/1080.mp4",
            "protocol": "https",
            "height": 1080,
            "vcodec": "avc1",
            "acodec": "mp4a",
        },
        {
            "url": "https://v/720.mp4",
            "protocol": "https",
            "height": 720,
            "vcodec": "avc1",
            "acodec": "mp4a",
        },
        {
            "url": "https://v/480.mp4",
            "protocol": "https",
            "height": 480,
            "vcodec": "avc1",
            "acodec": "mp4a",
        },
        {
            "url": "https://v/720-noaudio.mp4",
            "protocol": "https",
            "height": 720,
            "vcodec": "avc1",
            "acodec": "none",
        },
        {
            "url": "https://v/x.m3u8",
            "protocol": "m3u8_native",
            "height": 720,
            "vcodec": "avc1",
            "acodec": "mp4a",
        },
        {"url": "https://v/audio.m4a", "protocol": "https", "vcodec": "none", "acodec": "mp4a"},
    ]
    chosen = pick_format({"formats": formats}, max_bytes=10**9)
    assert chosen is not None and chosen["url"] == "https://v/720.mp4"
    only_big = pick_format({"formats": formats[:1]}, max_bytes=10**9)
    assert only_big is not None and only_big["url"] == "https://v/1080.mp4"
    sized = [{**formats[1], "filesize": 5 * 10**9}, formats[2]]
    small = pick_format({"formats": sized}, max_bytes=10**9)
    assert small is not None and small["url"] == "https://v/480.mp4"
    assert pick_format({"formats": formats[3:]}, max_bytes=10**9) is None
    playlist = {"_type": "playlist", "entries": [{"url": "https://v/a.mp4"}]}
    entry = pick_format(playlist, max_bytes=10)
    assert entry is not None and entry["url"] == "https://v/a.mp4"
    assert pick_format({"_type": "playlist", "entries": []}, max_bytes=10) is None


# --------------------------------------------------------------------------- HTTPS pinning


def _make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for `public.test` only (no IP address SAN)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject: str, issuer: str, key: Any, signer: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("public.test")]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("Test CA", "Test CA", ca_key, ca_key, ca=True)
    leaf_cert = build("public.test", "Test CA", leaf_key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    cert_path.write_bytes(leaf_cert.public_bytes(pem))
    key_path.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    import ssl

    ca, cert, key = _make_tls_files(tmp_path_factory.mktemp("tls"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield int(httpd.server_address[1]), ca
    finally:
        httpd.shutdown()
        httpd.server_close()


def _trusting(ca: Path) -> httpx.AsyncHTTPTransport:
    import ssl

    return httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=str(ca)))


async def test_https_pinned_ip_verifies_certificate_for_host_name(
    tls_server: tuple[int, Path], tmp_path: Path
) -> None:
    # We connect to 127.0.0.1 but SNI and certificate checks use `public.test`: the
    # certificate has no IP address SAN, so this passes only if the name is used.
    port, ca = tls_server
    result = await download_media(
        f"https://public.test:{port}/host",
        tmp_path,
        max_bytes=10_000,
        timeout=5,
        transport=_trusting(ca),
        **GUARDED,
    )
    assert result.path.read_bytes() == f"public.test:{port}".encode()


async def test_https_wrong_certificate_refused(
    tls_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, ca = tls_server
    with pytest.raises(DownloadError, match="invalid TLS certificate") as info:
        await download_media(
            f"https://127.0.0.1:{port}/small.bin",
            tmp_path,
            max_bytes=10_000,
            timeout=5,
            transport=_trusting(ca),
            **GUARDED,
        )
    assert info.value.retryable is False
    assert_empty(tmp_path)
