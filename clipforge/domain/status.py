"""Video and export lifecycle: statuses, stage order and overall progress. Pure."""

from __future__ import annotations

from enum import StrEnum


class VideoStatus(StrEnum):
    QUEUED = "queued"
    """Submitted; the import job has not started."""
    IMPORTING = "importing"
    """Fetching, probing and extracting audio."""
    TRANSCRIBING = "transcribing"
    """Speech recognition running."""
    DETECTING = "detecting"
    """Finding and scoring clips."""
    READY = "ready"
    """Transcript and clips are available."""
    FAILED = "failed"
    """A stage failed for good; `error` says why."""


class ExportStatus(StrEnum):
    QUEUED = "queued"
    """Waiting for an export worker."""
    RENDERING = "rendering"
    """ffmpeg is cutting, reframing and captioning."""
    READY = "ready"
    """The MP4, thumbnail and SRT are in storage."""
    FAILED = "failed"
    """Rendering failed for good; `error` says why."""


class Stage(StrEnum):
    IMPORT = "import"
    TRANSCRIBE = "transcribe"
    DETECT = "detect"


STAGE_ORDER: tuple[Stage, ...] = (Stage.IMPORT, Stage.TRANSCRIBE, Stage.DETECT)

STAGE_STATUS: dict[Stage, VideoStatus] = {
    Stage.IMPORT: VideoStatus.IMPORTING,
    Stage.TRANSCRIBE: VideoStatus.TRANSCRIBING,
    Stage.DETECT: VideoStatus.DETECTING,
}

#: Share of the overall bar each stage fills; transcription dominates the wall time.
_STAGE_SPAN: dict[Stage, tuple[int, int]] = {
    Stage.IMPORT: (0, 15),
    Stage.TRANSCRIBE: (15, 90),
    Stage.DETECT: (90, 100),
}


def overall_progress(stage: Stage, stage_fraction: float) -> int:
    """Map progress within one stage onto the 0–100 bar of the whole video."""
    low, high = _STAGE_SPAN[stage]
    fraction = min(1.0, max(0.0, stage_fraction))
    return int(low + (high - low) * fraction)


def stage_job_id(video_id: str, stage: Stage) -> str:
    """Deterministic job id: a replayed chain step maps onto the job that already exists."""
    return f"{video_id}-{stage.value}"


def export_job_id(export_id: str) -> str:
    return f"{export_id}-export"


class StageState(StrEnum):
    PENDING = "pending"
    """Not reached yet."""
    QUEUED = "queued"
    """Waiting for a worker of its queue."""
    RUNNING = "running"
    """In progress now (or queued for its worker)."""
    DONE = "done"
    """Finished."""
    FAILED = "failed"
    """Failed for good; the video's error says why."""


def stage_states(
    status: VideoStatus, stage: Stage | None, stage_progress: int, failed_stage: Stage | None
) -> list[tuple[Stage, StageState, int]]:
    """Per-stage state and progress for the dashboard, derived from the video's row."""
    if status == VideoStatus.READY:
        return [(s, StageState.DONE, 100) for s in STAGE_ORDER]
    current = failed_stage if status == VideoStatus.FAILED else stage
    at = STAGE_ORDER.index(current) if current else 0
    result: list[tuple[Stage, StageState, int]] = []
    for index, each in enumerate(STAGE_ORDER):
        if index < at:
            result.append((each, StageState.DONE, 100))
        elif index == at:
            if status == VideoStatus.FAILED:
                result.append((each, StageState.FAILED, stage_progress))
            elif status == VideoStatus.QUEUED:
                result.append((each, StageState.QUEUED, 0))
            else:
                result.append((each, StageState.RUNNING, stage_progress))
        else:
            result.append((each, StageState.PENDING, 0))
    return result
