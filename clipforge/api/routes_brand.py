"""Brand kit (logo, caption colours and font, title cards) and caption fonts."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response, status

from clipforge import services_brand
from clipforge.api.auth import CurrentPrincipal
from clipforge.api.deps import ResourcesDep
from clipforge.api.errors import ApiError
from clipforge.api.schemas import ErrorResponse
from clipforge.api.schemas_brand import (
    BrandKitIn,
    BrandKitOut,
    FontList,
    FontOut,
    LogoOut,
    TitleCard,
)
from clipforge.api.stored_files import stored_file_response
from clipforge.api.upload import BadUpload, ReceivedFile, UploadTooLarge, receive_upload
from clipforge.bootstrap import Resources
from clipforge.services_brand import BrandKitSettings, BrandKitView, FontEntry

router = APIRouter(tags=["brand"])

#: Multipart uploads this router takes; the app exempts them from the JSON body cap.
UPLOAD_ROUTES = {("PUT", "/v1/brand-kit/logo"), ("POST", "/v1/fonts")}

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse},
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    429: {"model": ErrorResponse},
}
_UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {**_ERRORS, 413: {"model": ErrorResponse}}


def _upload_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": description,
                            }
                        },
                    }
                }
            },
        }
    }


def _size(limit: int) -> str:
    return f"{limit / 1024**2:.1f} MB" if limit >= 1024**2 else f"{limit // 1024} KB"


@contextlib.asynccontextmanager
async def _received(request: Request, res: Resources) -> AsyncIterator[ReceivedFile]:
    """The uploaded logo or font in a temp file, deleted when the block ends."""
    limit = res.settings.max_brand_asset_bytes
    declared = request.headers.get("content-length")
    too_large = f"The file is larger than the {_size(limit)} limit for logos and fonts."
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ApiError(413, "too_large", too_large)
    try:
        received = await receive_upload(
            request.headers.get("content-type", ""),
            request.stream(),
            limit=limit,
            temp_dir=res.settings.data_dir / "tmp",
        )
    except UploadTooLarge as exc:
        raise ApiError(413, "too_large", too_large) from exc
    except BadUpload as exc:
        raise ApiError(400, "bad_upload", str(exc)) from exc
    try:
        yield received
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(received.path)


def font_out(entry: FontEntry) -> FontOut:
    return FontOut(
        id=entry.id,
        family=entry.family,
        style=entry.subfamily,
        full_name=entry.full_name,
        weight=entry.weight,
        format=entry.format,  # type: ignore[arg-type]
        builtin=entry.builtin,
        size_bytes=entry.size_bytes,
        filename=entry.filename,
        created_at=entry.created_at,
    )


def brand_kit_out(view: BrandKitView, request: Request) -> BrandKitOut:
    kit = view.kit
    defaults = BrandKitSettings()
    if kit is None:
        return BrandKitOut(
            configured=False,
            logo=None,
            logo_position=defaults.logo_position,  # type: ignore[arg-type]
            logo_scale=defaults.logo_scale,
            logo_opacity=defaults.logo_opacity,
            primary_colour=None,
            highlight_colour=None,
            outline_colour=None,
            font=None,
            intro=None,
            outro=None,
            updated_at=None,
        )
    logo = None
    if kit.logo_key and kit.logo_content_type and kit.logo_width and kit.logo_height:
        logo = LogoOut(
            url=str(request.url_for("get_brand_logo")),
            content_type=kit.logo_content_type,
            width=kit.logo_width,
            height=kit.logo_height,
        )
    return BrandKitOut(
        configured=True,
        logo=logo,
        logo_position=kit.logo_position,  # type: ignore[arg-type]
        logo_scale=kit.logo_scale,
        logo_opacity=kit.logo_opacity,
        primary_colour=kit.primary_colour,
        highlight_colour=kit.highlight_colour,
        outline_colour=kit.outline_colour,
        font=font_out(view.font) if view.font else None,
        intro=TitleCard.model_validate(kit.intro) if kit.intro else None,
        outro=TitleCard.model_validate(kit.outro) if kit.outro else None,
        updated_at=kit.updated_at,
    )


# --------------------------------------------------------------------------- brand kit


@router.get("/v1/brand-kit", response_model=BrandKitOut, responses=_ERRORS)
async def get_brand_kit(
    request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> BrandKitOut:
    view = await asyncio.to_thread(services_brand.get_brand_kit, res, caller.user.id)
    return brand_kit_out(view, request)


@router.put(
    "/v1/brand-kit",
    response_model=BrandKitOut,
    responses=_ERRORS,
    summary="Save your brand kit's settings (the logo file keeps its own route)",
)
async def put_brand_kit(
    body: BrandKitIn, request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> BrandKitOut:
    settings = BrandKitSettings(
        logo_position=body.logo_position,
        logo_scale=body.logo_scale,
        logo_opacity=body.logo_opacity,
        primary_colour=body.primary_colour,
        highlight_colour=body.highlight_colour,
        outline_colour=body.outline_colour,
        font_id=body.font,
        intro=body.intro.model_dump() if body.intro else None,
        outro=body.outro.model_dump() if body.outro else None,
    )
    view = await asyncio.to_thread(services_brand.put_brand_kit, res, caller.user.id, settings)
    return brand_kit_out(view, request)


@router.delete(
    "/v1/brand-kit", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS, response_model=None
)
async def delete_brand_kit(res: ResourcesDep, caller: CurrentPrincipal) -> Response:
    await services_brand.delete_brand_kit(res, caller.user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/v1/brand-kit/logo",
    response_model=BrandKitOut,
    responses=_UPLOAD_ERRORS,
    openapi_extra=_upload_body("A PNG or JPEG picture."),
    summary="Upload your logo (multipart field 'file', PNG or JPEG)",
)
async def put_brand_logo(
    request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> BrandKitOut:
    async with _received(request, res) as received:
        view = await services_brand.set_logo(res, caller.user.id, received.path)
    return brand_kit_out(view, request)


@router.get(
    "/v1/brand-kit/logo",
    name="get_brand_logo",
    response_model=None,
    responses={**_ERRORS, 200: {"content": {"image/png": {}, "image/jpeg": {}}}},
    summary="Your logo file",
)
async def get_brand_logo(res: ResourcesDep, caller: CurrentPrincipal) -> Response:
    view = await asyncio.to_thread(services_brand.get_brand_kit, res, caller.user.id)
    kit = view.kit
    if kit is None or not kit.logo_key:
        raise ApiError(404, "not_found", "Your brand kit has no logo.")
    return await stored_file_response(
        res.storage,
        kit.logo_key,
        media_type=kit.logo_content_type or "application/octet-stream",
        missing="The logo file is missing from storage.",
    )


@router.delete("/v1/brand-kit/logo", response_model=BrandKitOut, responses=_ERRORS)
async def delete_brand_logo(
    request: Request, res: ResourcesDep, caller: CurrentPrincipal
) -> BrandKitOut:
    return brand_kit_out(await services_brand.delete_logo(res, caller.user.id), request)


# --------------------------------------------------------------------------- fonts


@router.get(
    "/v1/fonts",
    response_model=FontList,
    responses=_ERRORS,
    summary="Fonts you can use: the shipped ones and your uploads",
)
async def list_fonts(res: ResourcesDep, caller: CurrentPrincipal) -> FontList:
    entries = await asyncio.to_thread(services_brand.list_fonts, res, caller.user.id)
    return FontList(items=[font_out(e) for e in entries])


@router.post(
    "/v1/fonts",
    status_code=status.HTTP_201_CREATED,
    response_model=FontOut,
    responses=_UPLOAD_ERRORS,
    openapi_extra=_upload_body("A TTF or OTF font."),
    summary="Upload a caption font (multipart field 'file', TTF or OTF)",
)
async def upload_font(request: Request, res: ResourcesDep, caller: CurrentPrincipal) -> FontOut:
    async with _received(request, res) as received:
        entry = await services_brand.upload_font(
            res, caller.user.id, received.path, received.filename
        )
    return font_out(entry)


@router.delete(
    "/v1/fonts/{font_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
    response_model=None,
)
async def delete_font(font_id: str, res: ResourcesDep, caller: CurrentPrincipal) -> Response:
    await services_brand.delete_font(res, caller.user.id, font_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
