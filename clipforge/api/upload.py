"""Stream a multipart upload to a temporary file, refusing it past the size limit.

Starlette's form parser spools the whole body before a route sees it; a 50 GB upload would
fill the disk before we could say no. This parser counts bytes as they arrive.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The upload is larger than the {limit // (1024 * 1024)} MB limit.")
        self.limit = limit


class BadUpload(ValueError):
    """The body is not a multipart form with a `file` part."""


@dataclass
class ReceivedFile:
    path: Path
    filename: str | None
    size: int


@dataclass
class _PartState:
    field: bytes = b""
    value: bytes = b""
    headers: dict[bytes, bytes] = dataclass_field(default_factory=dict)
    in_file: bool = False


@dataclass
class _Found:
    has_file: bool = False
    filename: str | None = None
    size: int = 0


async def receive_upload(
    content_type: str, stream: AsyncIterator[bytes], *, limit: int, temp_dir: Path
) -> ReceivedFile:
    """Write the `file` part of a multipart body to a temp file; the caller deletes it."""
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise BadUpload("Send the video as multipart/form-data with a 'file' field.")

    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=temp_dir)
    out = os.fdopen(fd, "wb")
    part = _PartState()
    found = _Found()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.value += data[start:end]

    def on_header_end() -> None:
        part.headers[part.field.lower()] = part.value
        part.field, part.value = b"", b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.in_file = disp.get(b"name") == b"file" and not found.has_file
        if part.in_file:
            found.has_file = True
            raw = disp.get(b"filename")
            found.filename = raw.decode("utf-8", "replace") if raw else None

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not part.in_file:
            return
        found.size += end - start
        if found.size > limit:
            raise UploadTooLarge(limit)
        out.write(data[start:end])

    def on_part_end() -> None:
        part.headers = {}
        part.in_file = False

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        try:
            async for chunk in stream:
                parser.write(chunk)
            parser.finalize()
        except UploadTooLarge:
            raise
        except Exception as exc:
            raise BadUpload(f"The upload could not be read as a multipart form: {exc}") from exc
        finally:
            out.close()
        if not found.has_file:
            raise BadUpload("The form has no 'file' field; send the video as 'file'.")
        if found.size == 0:
            raise BadUpload("The uploaded file is empty.")
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return ReceivedFile(Path(name), found.filename, found.size)
