"""URL import: download a direct media link, or the video on a platform page via yt-dlp.

Every hop is vetted by `net_safety.check_url` and the connection goes to the vetted IP (the
host name only travels in the Host header and TLS SNI), so a DNS answer that changes between
the check and the connect cannot redirect us into the private network. Redirects are followed
by hand for the same reason. The body streams into a file we name, under a size cap, and any
failure removes it: the import stage can retry without cleaning up after us.

yt-dlp opens its own connections, so it runs with its `proxy` option pointed at
`egress_proxy.guarded_proxy`: a loopback proxy, started for that one extraction, that vets every
host yt-dlp asks for with the same policy and connects to the vetted IP.

`timeout` bounds each network operation (connect, each read), not the whole download: a
multi-GB file legitimately takes longer than any sensible single-request timeout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from clipforge.egress_proxy import guarded_proxy
from clipforge.net_safety import (
    AddressPolicy,
    ResolvedURL,
    Resolver,
    UnsafeURLError,
    check_url,
    system_resolver,
)

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 1024 * 1024
USER_AGENT = "Mozilla/5.0 (compatible; ClipForge/0.1; +https://github.com/clipforge)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PREFERRED_MAX_HEIGHT = 720
MSG_NO_VIDEO = "This page has no video ClipForge can import."
MSG_PAGE_PRIVATE = (
    "This page tried to reach a private or local network address, which ClipForge does not allow."
)

#: Extensions for the files we name; anything else is `.bin` (ffprobe does not need one).
_EXTENSIONS = {
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "video/x-matroska": ".mkv",
    "video/x-msvideo": ".avi",
    "video/mpeg": ".mpg",
    "video/mp2t": ".ts",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
}
_SAFE_EXTS = frozenset(e.lstrip(".") for e in _EXTENSIONS.values())
#: Headers yt-dlp suggests for a media URL that we must not forward.
_DROP_HEADERS = frozenset({"host", "cookie", "authorization", "accept-encoding", "range"})

ProgressCallback = Callable[[float], Awaitable[None]]


class DownloadError(Exception):
    """An import link could not be downloaded; `str(exc)` is a message fit for the user.

    `retryable` tells the job runner whether another attempt could succeed (timeouts, 5xx)
    or is pointless (404, too large, refused address).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(slots=True)
class DownloadResult:
    """The downloaded file (in `dest_dir`, named by us) and what we learnt about it."""

    path: Path
    size: int
    content_type: str | None
    source: Literal["direct", "yt-dlp"]
    title: str | None


def _format_limit(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    if mb >= 1:
        return f"{mb:,.0f}" if mb == int(mb) else f"{mb:,.1f}"
    return f"{mb:.2g}"


def _too_large(max_bytes: int) -> DownloadError:
    return DownloadError(f"The file is larger than the {_format_limit(max_bytes)} MB import limit.")


def _media_type(response: httpx.Response) -> str | None:
    raw = response.headers.get("content-type")
    if not raw:
        return None
    return raw.split(";", 1)[0].strip().lower() or None


def _is_cert_error(exc: BaseException) -> bool:
    """Whether a connect failure is a TLS certificate rejection (not worth retrying)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(slots=True)
class _Fetcher:
    """One download's settings: the vetting policy, limits and the shared HTTP client."""

    client: httpx.AsyncClient
    dest_dir: Path
    max_bytes: int
    timeout: float
    vet: Callable[[str], ResolvedURL]
    on_progress: ProgressCallback | None

    async def _send_pinned(self, target: ResolvedURL, headers: Mapping[str, str]) -> httpx.Response:
        """GET the vetted URL from one of its vetted addresses, trying each in turn."""
        last: httpx.ConnectError | None = None
        for address in target.addresses:
            url = httpx.URL(target.url).copy_with(host=address, fragment=None)
            extensions: dict[str, Any] = {}
            if target.scheme == "https" and target.host != address:
                extensions["sni_hostname"] = target.host  # certificate checked against it
            request = self.client.build_request(
                "GET",
                url,
                headers={**headers, "Host": target.host_header},
                extensions=extensions,
            )
            try:
                return await self.client.send(request, stream=True)
            except httpx.ConnectError as exc:
                log.info("connect to %s (%s) failed: %s", target.host, address, exc)
                last = exc
        assert last is not None
        raise last

    async def open(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[httpx.Response, ResolvedURL]:
        """Follow redirects by hand, vetting every hop; return the final (streaming) response."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                target = await asyncio.to_thread(self.vet, current)
            except UnsafeURLError as exc:
                raise DownloadError(str(exc)) from exc
            host = target.host
            try:
                response = await self._send_pinned(target, headers)
            except httpx.TimeoutException as exc:
                raise DownloadError(
                    f"{host} did not answer within {self.timeout:g} seconds.", retryable=True
                ) from exc
            except httpx.ConnectError as exc:
                if _is_cert_error(exc):
                    raise DownloadError(
                        f"{host} presented an invalid TLS certificate, so it was not trusted."
                    ) from exc
                raise DownloadError(f"Could not connect to {host}.", retryable=True) from exc
            except httpx.HTTPError as exc:
                raise DownloadError(
                    f"The download from {host} failed ({type(exc).__name__}).", retryable=True
                ) from exc
            location = response.headers.get("location")
            if response.status_code in REDIRECT_CODES and location:
                await response.aclose()
                current = str(httpx.URL(target.url).join(location).copy_with(fragment=None))
                log.info("redirect %s -> %s", target.url, current)
                continue
            return response, target
        raise DownloadError("The link redirected too many times.")

    async def download(
        self, url: str, *, headers: Mapping[str, str] | None = None, allow_page: bool
    ) -> DownloadResult | ResolvedURL:
        """Stream a media URL to a file; an HTML page comes back as its vetted URL instead."""
        response, target = await self.open(url, headers or {})
        try:
            if not 200 <= response.status_code < 300:
                reason = f" ({response.reason_phrase})" if response.reason_phrase else ""
                raise DownloadError(
                    f"The link answered HTTP {response.status_code}{reason}.",
                    retryable=response.status_code >= 500 or response.status_code == 429,
                )
            media_type = _media_type(response)
            if media_type in HTML_TYPES:
                if allow_page:
                    return target
                raise DownloadError(MSG_NO_VIDEO)
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > self.max_bytes:
                raise _too_large(self.max_bytes)
            path, size = await self._stream(response, total, _EXTENSIONS.get(media_type or ""))
        finally:
            await response.aclose()
        return DownloadResult(path, size, media_type, "direct", None)

    async def _stream(
        self, response: httpx.Response, total: int | None, ext: str | None
    ) -> tuple[Path, int]:
        """Write the body under the size cap; the file appears only once it is complete."""
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        name = f"import-{uuid.uuid4().hex}"
        part = self.dest_dir / f"{name}.part"
        final = self.dest_dir / f"{name}{ext or '.bin'}"
        size = 0
        reported = 0.0
        try:
            with open(part, "xb") as fh:
                try:
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise _too_large(self.max_bytes)
                        await asyncio.to_thread(fh.write, chunk)
                        if self.on_progress is not None and total:
                            fraction = min(size / total, 1.0)
                            if fraction - reported >= 0.01:
                                reported = fraction
                                await self.on_progress(fraction)
                except httpx.TimeoutException as exc:
                    raise DownloadError(
                        f"The download stalled for more than {self.timeout:g} seconds.",
                        retryable=True,
                    ) from exc
                except httpx.HTTPError as exc:
                    raise DownloadError(
                        f"The download was interrupted ({type(exc).__name__}).", retryable=True
                    ) from exc
            if total is not None and size < total:
                raise DownloadError(
                    "The download ended before the whole file arrived.", retryable=True
                )
            if size == 0:
                raise DownloadError("The link returned an empty file.")
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if self.on_progress is not None:
            await self.on_progress(1.0)
        return final, size


# --------------------------------------------------------------------------- yt-dlp


class _YtdlpLogger:
    """Route yt-dlp's chatter to our log instead of stdout/stderr."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)


def _ytdlp_options(timeout: float, proxy: str) -> dict[str, Any]:
    """Extraction only, one video, no cookies/cache/side requests we can avoid.

    `proxy` is the guarded egress proxy: yt-dlp applies it to every request and scheme (it
    becomes `{"all": proxy}`, with no `no_proxy` bypass), and environment proxies are ignored.
    """
    return {
        "proxy": proxy,
        "logger": _YtdlpLogger(),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "playlistend": 1,
        "skip_download": True,
        "simulate": True,
        "check_formats": False,
        "cachedir": False,
        "cookiefile": None,
        "socket_timeout": timeout,
        "retries": 1,
        "extractor_retries": 1,
        "writesubtitles": False,
        "writeautomaticsub": False,
        "getcomments": False,
        "mark_watched": False,
        "geo_bypass": False,
        "format": "best/bestvideo*+bestaudio",
        "color": {"stdout": "never", "stderr": "never"},
    }


def _extract_info(url: str, timeout: float, proxy: str) -> dict[str, Any]:
    """Run yt-dlp's extractor (blocking; called in a thread) through the egress proxy."""
    import yt_dlp  # heavy import, only needed for page links

    # Every HTTP(S) request yt-dlp makes (the page, APIs, embeds, redirects) goes through the
    # guarded egress proxy, which vets each host with our policy and connects to the vetted IP,
    # so extractors are held to the same SSRF rules as direct downloads; the media file itself
    # is still downloaded by our guarded downloader. Residual risk: traffic that does not use
    # yt-dlp's HTTP stack would bypass the proxy: a per-request proxy an extractor sets itself
    # (only with `geo_verification_proxy`, which we never set), WebSocket extractors (need the
    # `websockets` package, not installed), or helper programs (JS runtimes, ffmpeg) that
    # extraction-only use does not start for the generic extractor. Firewalling workers off the
    # metadata endpoint and internal services remains good defence in depth.
    try:
        options = _ytdlp_options(timeout, proxy)
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=False)
    except yt_dlp.utils.DownloadError as exc:
        cause = exc.exc_info[1] if exc.exc_info else None
        text = str(exc)
        if isinstance(cause, yt_dlp.utils.UnsupportedError) or "Unsupported URL" in text:
            raise DownloadError(MSG_NO_VIDEO) from exc
        detail = text.removeprefix("ERROR: ").strip()
        raise DownloadError(
            f"ClipForge could not read the video on this page: {detail[:300]}", retryable=True
        ) from exc
    except Exception as exc:  # yt-dlp extractors raise all sorts; never crash the worker
        log.exception("yt-dlp failed on %s", url)
        raise DownloadError("ClipForge could not read the video on this page.") from exc
    if not isinstance(info, dict):
        raise DownloadError(MSG_NO_VIDEO)
    return info


def _format_rank(fmt: Mapping[str, Any]) -> tuple[int, float, float]:
    """Sort key: <=720p (highest first), then unknown height, then larger (smallest first)."""
    height = fmt.get("height")
    tbr = float(fmt.get("tbr") or 0)
    if isinstance(height, int | float) and height > 0:
        if height <= PREFERRED_MAX_HEIGHT:
            return (0, -float(height), -tbr)
        return (2, float(height), -tbr)
    return (1, 0.0, -tbr)


def pick_format(info: Mapping[str, Any], max_bytes: int) -> Mapping[str, Any] | None:
    """The best single progressive http(s) file with audio, preferring <=720p, within the cap."""
    if info.get("_type") in ("playlist", "multi_video"):
        entries = [e for e in info.get("entries") or [] if isinstance(e, Mapping)]
        if not entries:
            return None
        info = entries[0]
    formats: list[Mapping[str, Any]] = list(info.get("formats") or [])
    if not formats and info.get("url"):
        formats = [info]
    usable = []
    for fmt in formats:
        url = fmt.get("url")
        if not isinstance(url, str):
            continue
        protocol = str(fmt.get("protocol") or urlsplit(url).scheme)
        if protocol not in ("http", "https"):
            continue  # HLS/DASH/RTMP: not a single file
        if fmt.get("vcodec") == "none" or fmt.get("acodec") == "none":
            continue  # video-only or audio-only: we need both in one file
        size = fmt.get("filesize") or fmt.get("filesize_approx")
        if isinstance(size, int | float) and size > max_bytes:
            continue
        usable.append(fmt)
    if not usable:
        return None
    return min(usable, key=_format_rank)


# --------------------------------------------------------------------------- entry point


async def download_media(
    url: str,
    dest_dir: Path,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
    on_progress: ProgressCallback | None = None,
    resolver: Resolver = system_resolver,
    address_allowed: AddressPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DownloadResult:
    """Download an http(s) link into `dest_dir`; raise DownloadError with a user message.

    A direct media link is streamed as is. An HTML page is handed to yt-dlp to find the video
    and that video's URL is downloaded through the same guarded path. `resolver`,
    `address_allowed` (see `net_safety.check_url`) and `transport` (e.g. to trust a test CA)
    exist for tests.
    """
    vet = partial(
        check_url, allow_private=allow_private, resolver=resolver, address_allowed=address_allowed
    )
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: it would bypass the pinning
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        transport=transport,
    ) as client:
        fetcher = _Fetcher(client, Path(dest_dir), max_bytes, timeout, vet, on_progress)
        first = await fetcher.download(url, allow_page=True)
        if isinstance(first, DownloadResult):
            log.info("downloaded %s (%d bytes)", url, first.size)
            return first

        page = first
        log.info("%s is a web page; asking yt-dlp for its video", page.url)
        async with guarded_proxy(
            allow_private=allow_private,
            resolver=resolver,
            address_allowed=address_allowed,
            idle_timeout=timeout,
            connect_timeout=timeout,
        ) as proxy:
            try:
                info = await asyncio.wait_for(
                    asyncio.to_thread(_extract_info, page.url, timeout, proxy.url),
                    timeout=max(60.0, timeout * 4),
                )
            except TimeoutError as exc:
                raise DownloadError(
                    "Reading the video page took too long.", retryable=True
                ) from exc
            except DownloadError as exc:
                if proxy.refused:
                    raise DownloadError(MSG_PAGE_PRIVATE) from exc
                raise
            if proxy.refused:
                log.info("yt-dlp on %s was refused %s but went on", page.url, proxy.refused)
        fmt = pick_format(info, max_bytes)
        if fmt is None:
            log.info("yt-dlp found no single-file format with audio on %s", page.url)
            raise DownloadError(MSG_NO_VIDEO)
        headers = {
            str(k): str(v)
            for k, v in (fmt.get("http_headers") or {}).items()
            if str(k).lower() not in _DROP_HEADERS
        }
        media = await fetcher.download(str(fmt["url"]), headers=headers, allow_page=False)
        assert isinstance(media, DownloadResult)
        ext = str(fmt.get("ext") or "")
        if media.path.suffix == ".bin" and ext in _SAFE_EXTS:
            renamed = media.path.with_suffix(f".{ext}")
            os.replace(media.path, renamed)
            media = replace(media, path=renamed)
        title = info.get("title")
        log.info("downloaded video of %s via yt-dlp (%d bytes)", page.url, media.size)
        return replace(media, source="yt-dlp", title=str(title) if isinstance(title, str) else None)
