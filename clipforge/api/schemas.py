"""Request and response models, kept apart from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from clipforge.api.schemas_brand import CaptionOptionsIn


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. 'not_found'.")
    message: str = Field(description="What went wrong, in words a person can act on.")
    details: list[dict[str, object]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class DetectOptionsIn(BaseModel):
    """What to look for; anything left out uses the server's defaults."""

    min_seconds: float | None = Field(default=None, ge=3, le=600, description="Shortest clip.")
    max_seconds: float | None = Field(default=None, ge=3, le=600, description="Longest clip.")
    count: int | None = Field(default=None, ge=1, le=50, description="How many clips.")
    keywords: list[str] | None = Field(
        default=None, max_length=20, description="Topics or words to favour."
    )
    search_start: float | None = Field(
        default=None, ge=0, description="Only look from this second of the video..."
    )
    search_end: float | None = Field(default=None, gt=0, description="...up to this second.")


class ImportRequest(BaseModel):
    url: str = Field(min_length=1, max_length=4096, description="An http(s) link to a video.")
    language: str | None = Field(
        default=None, max_length=40, description="Spoken language (ISO code); empty: detect."
    )
    detect: DetectOptionsIn | None = None


class SubmittedResponse(BaseModel):
    video_id: str
    job_id: str
    status_url: str


class StageOut(BaseModel):
    name: Literal["import", "transcribe", "detect"]
    state: Literal["pending", "queued", "running", "done", "failed"]
    progress: int


class VideoOut(BaseModel):
    id: str
    status: Literal["queued", "importing", "transcribing", "detecting", "ready", "failed"]
    stage: str | None
    progress: int = Field(ge=0, le=100, description="Overall progress of the pipeline.")
    stage_progress: int = Field(ge=0, le=100)
    stages: list[StageOut]
    error: str | None
    failed_stage: str | None
    source_kind: str
    source: str
    title: str | None
    duration: float | None
    width: int | None
    height: int | None
    created_at: datetime
    updated_at: datetime
    poster_url: str | None = Field(description="A still of the source, once imported.")
    detect_options: dict[str, object] | None = Field(
        default=None, description="What detection was asked for; null: the defaults."
    )
    language: str | None = Field(
        default=None, description="The spoken language chosen for it; null: detected."
    )
    source_url: str | None = Field(description="The original media, once imported.")


class VideoList(BaseModel):
    items: list[VideoOut]
    total: int
    limit: int
    offset: int


class ClipOut(BaseModel):
    id: str
    video_id: str
    rank: int
    start: float
    end: float
    duration: float
    score: int
    breakdown: dict[str, int]
    title: str
    description: str
    hashtags: list[str]
    reason: str
    text: str


class ClipList(BaseModel):
    items: list[ClipOut]


class ClipTrimIn(BaseModel):
    start: float = Field(ge=0, le=86_400, description="Seconds; snapped to the nearest word.")
    end: float = Field(gt=0, le=86_400, description="Seconds; snapped to the nearest word.")


class ExportRequestIn(BaseModel):
    aspect_ratio: str = Field(default="9:16", description="9:16, 1:1, 4:5 or 16:9.")
    caption_style: str = Field(default="karaoke", description="A caption style name.")
    quality: str = Field(
        default="standard", description="draft (720p, fast), standard (1080p) or high."
    )
    caption: CaptionOptionsIn | None = Field(
        default=None, description="Caption overrides over the style and the brand kit."
    )
    brand: bool | None = Field(
        default=None, description="Apply your brand kit; omitted: yes when you have one."
    )
    reframe: Literal["face", "center", "centre", "fit"] = Field(
        default="face",
        description="face: follow the speaker's face (centre when none); center: fixed centre"
        " crop; fit: the whole frame over a blurred fill.",
    )


class ExportOut(BaseModel):
    id: str
    clip_id: str
    aspect_ratio: str
    caption_style: str
    quality: str
    reframe: str
    status: Literal["queued", "rendering", "ready", "failed"]
    progress: int
    error: str | None
    job_id: str
    duration: float | None
    width: int | None
    height: int | None
    download_url: str | None
    thumbnail_url: str | None
    srt_url: str | None
    vtt_url: str | None
    created_at: datetime
    updated_at: datetime
    caption: dict[str, object] | None = Field(
        default=None, description="The caption overrides this export carries."
    )
    brand: dict[str, object] | None = Field(
        default=None, description="The brand applied (logo, colours, font, cards); null: none."
    )


class BatchRequestIn(BaseModel):
    clip_ids: list[str] | None = Field(
        default=None, max_length=100, description="Clips to export; omitted: all of the video's."
    )
    aspect_ratios: list[str] = Field(default_factory=lambda: ["9:16"], min_length=1, max_length=4)
    caption_style: str = "karaoke"
    quality: str = "standard"
    caption: CaptionOptionsIn | None = None
    brand: bool | None = None
    reframe: Literal["face", "center", "centre", "fit"] = "face"


class BatchOut(BaseModel):
    id: str
    video_id: str
    status: Literal["queued", "rendering", "ready", "partial", "failed"]
    progress: int = Field(ge=0, le=100, description="Mean progress of the items.")
    total: int
    ready: int
    failed: int
    items: list[ExportOut]
    zip_url: str | None = Field(description="A ZIP of the ready items, once all have finished.")
    created_at: datetime


class DependencyCheck(BaseModel):
    status: Literal["up", "down"]
    latency_ms: float
    error: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "down"]
    checks: dict[str, DependencyCheck]


class ReadyOut(BaseModel):
    status: Literal["ready", "not_ready"]
    failing: list[str]
    checks: dict[str, DependencyCheck]


class QueueCountsOut(BaseModel):
    queue: str
    waiting: int
    active: int
    completed: int
    failed: int
    delayed: int
    paused: int


class QueuesMetricsOut(BaseModel):
    queues: list[QueueCountsOut]


class JobOut(BaseModel):
    queue: str
    job_id: str
    name: str
    state: str
    progress: int
    attempts_made: int
    attempts_max: int
    failed_reason: str | None
    data: dict[str, object]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
