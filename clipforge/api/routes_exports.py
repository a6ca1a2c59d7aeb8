"""Exports: request a render of a clip, follow it, download the results."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from clipforge import services
from clipforge.api.auth import CurrentPrincipal
from clipforge.api.deps import ResourcesDep
from clipforge.api.errors import ApiError
from clipforge.api.presenters import batch_out, clip_out, export_out
from clipforge.api.schemas import (
    BatchOut,
    BatchRequestIn,
    ClipOut,
    ClipTrimIn,
    ErrorResponse,
    ExportOut,
    ExportRequestIn,
)
from clipforge.api.stored_files import stored_file_response

router = APIRouter(tags=["exports"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse},
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    429: {"model": ErrorResponse},
}

_FILES = {
    "video": ("video_key", "video/mp4", "mp4"),
    "thumbnail": ("thumbnail_key", "image/jpeg", "jpg"),
    "srt": ("srt_key", "application/x-subrip", "srt"),
    "vtt": ("vtt_key", "text/vtt", "vtt"),
}


@router.post(
    "/v1/clips/{clip_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportOut,
    responses=_ERRORS,
    summary="Render a clip with captions at an aspect ratio",
)
async def create_export(
    clip_id: str,
    body: ExportRequestIn,
    request: Request,
    res: ResourcesDep,
    caller: CurrentPrincipal,
) -> ExportOut:
    export = await services.create_export(
        res,
        caller.user.id,
        clip_id,
        body.aspect_ratio,
        body.caption_style,
        body.quality,
        caption=body.caption.model_dump(exclude_none=True) if body.caption else None,
        brand=body.brand,
        reframe=body.reframe,
    )
    return export_out(export, request)


@router.patch(
    "/v1/clips/{clip_id}",
    response_model=ClipOut,
    responses=_ERRORS,
    summary="Adjust a clip's start and end; both snap to word boundaries",
)
async def trim_clip(
    clip_id: str, body: ClipTrimIn, res: ResourcesDep, caller: CurrentPrincipal
) -> ClipOut:
    return clip_out(await services.trim_clip(res, caller.user.id, clip_id, body.start, body.end))


@router.get("/v1/exports/{export_id}", response_model=ExportOut, responses=_ERRORS)
async def get_export(
    export_id: str, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> ExportOut:
    export = await asyncio.to_thread(services.get_export, res, caller.user.id, export_id)
    return export_out(export, request)


@router.get(
    "/v1/exports/{export_id}/download",
    name="download_export",
    responses={
        **_ERRORS,
        200: {
            "content": {
                "video/mp4": {},
                "image/jpeg": {},
                "application/x-subrip": {},
                "text/vtt": {},
            }
        },
        307: {"description": "Redirect to a short-lived storage URL (S3)."},
    },
    response_model=None,
    summary="Download the MP4 (or its thumbnail or SRT)",
)
async def download_export(
    export_id: str,
    res: ResourcesDep,
    caller: CurrentPrincipal,
    file: Annotated[Literal["video", "thumbnail", "srt", "vtt"], Query()] = "video",
) -> Response:
    export = await asyncio.to_thread(services.get_export, res, caller.user.id, export_id)
    if export.status != "ready":
        raise ApiError(409, "not_ready", f"The export is {export.status}; it has no file yet.")
    attr, media_type, ext = _FILES[file]
    key = getattr(export, attr)
    if key is None:
        raise ApiError(404, "not_found", f"This export has no {file} file.")
    filename = f"clip-{export.id}.{ext}"
    return await stored_file_response(
        res.storage,
        key,
        media_type=media_type,
        filename=filename,
        missing="The exported file is missing from storage.",
    )


@router.post(
    "/v1/videos/{video_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchOut,
    responses=_ERRORS,
    summary="Export many clips x many aspect ratios at once (each item its own job)",
)
async def create_batch(
    video_id: str,
    body: BatchRequestIn,
    request: Request,
    res: ResourcesDep,
    caller: CurrentPrincipal,
) -> BatchOut:
    batch = await services.create_batch(
        res,
        caller.user.id,
        video_id,
        body.clip_ids,
        body.aspect_ratios,
        body.caption_style,
        body.quality,
        caption=body.caption.model_dump(exclude_none=True) if body.caption else None,
        brand=body.brand,
        reframe=body.reframe,
    )
    return batch_out(batch, request)


@router.get("/v1/batches/{batch_id}", response_model=BatchOut, responses=_ERRORS)
async def get_batch(
    batch_id: str, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> BatchOut:
    batch = await asyncio.to_thread(services.get_batch, res, caller.user.id, batch_id)
    return batch_out(batch, request)


@router.get(
    "/v1/batches/{batch_id}/zip",
    name="batch_zip",
    response_model=None,
    responses={**_ERRORS, 409: {"model": ErrorResponse}, 200: {"content": {"application/zip": {}}}},
    summary="Download the finished batch as one ZIP (ready items + manifest.json)",
)
async def batch_zip(batch_id: str, res: ResourcesDep, caller: CurrentPrincipal) -> Response:
    batch = await asyncio.to_thread(services.get_batch, res, caller.user.id, batch_id)
    state, _ = services.batch_state(batch.exports)
    if state in ("queued", "rendering"):
        raise ApiError(409, "not_ready", "The batch is still rendering; try again when it is done.")
    if state == "failed":
        raise ApiError(
            409, "not_ready", "Every item of this batch failed; there is nothing to zip."
        )
    scratch = res.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="clipforge-zip-", dir=scratch))
    try:
        archive = await services.write_batch_zip(res, batch, folder / "batch.zip")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"clipforge-batch-{batch.id}.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
