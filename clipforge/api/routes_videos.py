"""Videos: submit (upload or link), status, list, transcript, clips, retry."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from clipforge import services
from clipforge.api.auth import CurrentPrincipal
from clipforge.api.deps import ResourcesDep
from clipforge.api.errors import ApiError
from clipforge.api.presenters import clip_out, video_out
from clipforge.api.schemas import (
    ClipList,
    DetectOptionsIn,
    ErrorResponse,
    ImportRequest,
    SubmittedResponse,
    VideoList,
    VideoOut,
)
from clipforge.api.stored_files import stored_file_response
from clipforge.api.upload import BadUpload, UploadTooLarge, receive_upload
from clipforge.domain.subtitles import to_srt, to_vtt, transcript_cues
from clipforge.domain.transcript import Transcript

router = APIRouter(prefix="/v1/videos", tags=["videos"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse},
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    429: {"model": ErrorResponse},
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def _submitted(request: Request, result: services.Submitted) -> SubmittedResponse:
    return SubmittedResponse(
        video_id=result.video_id,
        job_id=result.job_id,
        status_url=str(request.url_for("get_video", video_id=result.video_id)),
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmittedResponse,
    responses={**_ERRORS, 413: {"model": ErrorResponse}},
    openapi_extra=_UPLOAD_BODY,
    summary="Upload a video (multipart field 'file')",
)
async def upload_video(
    request: Request,
    res: ResourcesDep,
    caller: CurrentPrincipal,
    detect: Annotated[DetectOptionsIn, Query()],
    language: Annotated[
        str | None, Query(max_length=40, description="Spoken language (ISO code); empty: detect.")
    ] = None,
) -> SubmittedResponse:
    """Detection options and the language ride in the query string (the body is the file)."""
    limit = res.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        # Refuse before reading a byte when the client tells us the size up front.
        raise ApiError(413, "too_large", str(UploadTooLarge(limit)))
    try:
        received = await receive_upload(
            request.headers.get("content-type", ""),
            request.stream(),
            limit=limit,
            temp_dir=res.settings.data_dir / "tmp",
        )
    except UploadTooLarge as exc:
        raise ApiError(413, "too_large", str(exc)) from exc
    except BadUpload as exc:
        raise ApiError(400, "bad_upload", str(exc)) from exc
    try:
        result = await services.submit_upload(
            res,
            caller.user.id,
            received.path,
            received.filename,
            detect.model_dump(exclude_none=True),
            language,
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(received.path)
    return _submitted(request, result)


@router.post(
    "/import",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmittedResponse,
    responses=_ERRORS,
    summary="Import a video from an http(s) link",
)
async def import_video(
    body: ImportRequest, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> SubmittedResponse:
    detect = body.detect.model_dump(exclude_none=True) if body.detect else None
    result = await services.submit_url(res, caller.user.id, body.url, detect, body.language)
    return _submitted(request, result)


@router.post(
    "/{video_id}/detect",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmittedResponse,
    responses=_ERRORS,
    summary="Find clips again with new options (exported clips are kept)",
)
async def redetect_video(
    video_id: str,
    body: DetectOptionsIn,
    request: Request,
    res: ResourcesDep,
    caller: CurrentPrincipal,
) -> SubmittedResponse:
    result = await services.redetect_video(
        res, caller.user.id, video_id, body.model_dump(exclude_none=True)
    )
    return _submitted(request, result)


@router.get(
    "", response_model=VideoList, responses=_ERRORS, summary="List your videos, newest first"
)
async def list_videos(
    request: Request,
    res: ResourcesDep,
    caller: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> VideoList:
    rows, total = await asyncio.to_thread(
        services.list_videos, res, caller.user.id, limit=limit, offset=offset
    )
    return VideoList(
        items=[video_out(v, request) for v in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{video_id}", response_model=VideoOut, responses=_ERRORS)
async def get_video(
    video_id: str, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> Response:
    """The status poll, the hottest read. A poll that sends the ETag it last saw is usually
    answered 304 before it gets here (clipforge/api/caching.py)."""
    video = await asyncio.to_thread(services.get_video, res, caller.user.id, video_id)
    # Serialised here by pydantic's own encoder: the model is built from trusted values,
    # so FastAPI's second validation pass would only cost time on every poll.
    return Response(video_out(video, request).model_dump_json(), media_type="application/json")


@router.get(
    "/{video_id}/media",
    name="video_media",
    response_model=None,
    responses={
        **_ERRORS,
        200: {"content": {"video/mp4": {}, "image/jpeg": {}}},
        307: {"description": "Redirect to a short-lived storage URL (S3)."},
    },
    summary="The original media (for the player; supports Range) or its poster still",
)
async def video_media(
    video_id: str,
    res: ResourcesDep,
    caller: CurrentPrincipal,
    kind: Annotated[Literal["source", "poster"], Query()] = "source",
) -> Response:
    key = await services.media_key(res, caller.user.id, video_id, kind)
    if kind == "poster":
        return await stored_file_response(
            res.storage, key, media_type="image/jpeg", missing="The video has no poster."
        )
    return await stored_file_response(
        res.storage, key, media_type=_source_media_type, missing="The video has no source."
    )


def _source_media_type(path: Path) -> str:
    return mimetypes.guess_type(f"x.{_container_ext(path)}")[0] or "application/octet-stream"


def _container_ext(path: Path) -> str:
    """Guess a browser-friendly type from the first bytes (keys have no extension)."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"RIFF":
        return "wav"
    if head[:3] == b"ID3" or head[:2] == b"\xff\xfb":
        return "mp3"
    return "bin"


@router.post(
    "/{video_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmittedResponse,
    responses=_ERRORS,
    summary="Run a failed video again from the stage that failed",
)
async def retry_video(
    video_id: str, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> SubmittedResponse:
    result = await services.retry_video(res, caller.user.id, video_id)
    return _submitted(request, result)


@router.get(
    "/{video_id}/transcript",
    responses={
        **_ERRORS,
        200: {
            "content": {
                "application/json": {},
                "application/x-subrip": {"schema": {"type": "string"}},
                "text/vtt": {"schema": {"type": "string"}},
            }
        },
    },
    summary="The word-level transcript as JSON, SRT or VTT",
)
async def get_transcript(
    video_id: str,
    res: ResourcesDep,
    caller: CurrentPrincipal,
    format: Annotated[Literal["json", "srt", "vtt"], Query()] = "json",
) -> Response:
    row = await asyncio.to_thread(services.get_transcript, res, caller.user.id, video_id)
    transcript = Transcript.from_dict(row.data)
    if format == "json":
        from fastapi.responses import JSONResponse

        return JSONResponse({"video_id": video_id, **transcript.to_dict()})
    cues = transcript_cues(transcript)
    if format == "srt":
        return Response(
            to_srt(cues),
            media_type="application/x-subrip",
            headers={"Content-Disposition": f'attachment; filename="{video_id}.srt"'},
        )
    return Response(
        to_vtt(cues),
        media_type="text/vtt",
        headers={"Content-Disposition": f'attachment; filename="{video_id}.vtt"'},
    )


@router.get("/{video_id}/clips", response_model=ClipList, responses=_ERRORS)
async def list_clips(video_id: str, res: ResourcesDep, caller: CurrentPrincipal) -> ClipList:
    clips = await asyncio.to_thread(services.list_clips, res, caller.user.id, video_id)
    return ClipList(items=[clip_out(c) for c in clips])
