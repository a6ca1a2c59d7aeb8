"""The four queues: names, priorities, concurrency and retry policy, all from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clipforge.config import Settings


class QueueName(StrEnum):
    IMPORT = "video-import"
    """Fetch or receive the original, probe it, extract 16 kHz audio."""
    TRANSCRIPTION = "transcription"
    """Word-level speech recognition."""
    DETECTION = "clip-detection"
    """Find, score and rank candidate clips."""
    EXPORT = "video-export"
    """Render one clip to an MP4 with burned-in captions."""


#: The order the pipeline runs in; also the order metrics are listed in.
ALL_QUEUES: tuple[QueueName, ...] = tuple(QueueName)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: QueueName
    priority: int
    concurrency: int
    attempts: int
    backoff_ms: int
    keep_completed: int
    keep_failed_seconds: int


def queue_spec(name: QueueName, settings: Settings) -> QueueSpec:
    priority, concurrency = {
        QueueName.IMPORT: (settings.queue_import_priority, settings.queue_import_concurrency),
        QueueName.TRANSCRIPTION: (
            settings.queue_transcription_priority,
            settings.queue_transcription_concurrency,
        ),
        QueueName.DETECTION: (
            settings.queue_detection_priority,
            settings.queue_detection_concurrency,
        ),
        QueueName.EXPORT: (settings.queue_export_priority, settings.queue_export_concurrency),
    }[name]
    return QueueSpec(
        name=name,
        priority=priority,
        concurrency=concurrency,
        attempts=settings.job_attempts,
        backoff_ms=settings.job_backoff_ms,
        keep_completed=settings.job_keep_completed,
        keep_failed_seconds=settings.job_keep_failed_days * 86400,
    )


def job_options(spec: QueueSpec, job_id: str) -> dict[str, Any]:
    """BullMQ options for one job. The id is deterministic so replays deduplicate."""
    if ":" in job_id or job_id.isdigit():
        # BullMQ uses ':' as its key separator and integers for its own ids.
        raise ValueError(f"job id {job_id!r} must not contain ':' or be an integer")
    return {
        "jobId": job_id,
        "priority": spec.priority,
        "attempts": spec.attempts,
        "backoff": {"type": "exponential", "delay": spec.backoff_ms},
        "removeOnComplete": {"count": spec.keep_completed},
        "removeOnFail": {"age": spec.keep_failed_seconds},
    }


def parse_queue_name(value: str) -> QueueName:
    """The queue called `value`; ValueError naming the valid ones otherwise."""
    try:
        return QueueName(value)
    except ValueError:
        valid = ", ".join(q.value for q in ALL_QUEUES)
        raise ValueError(f"unknown queue {value!r}; queues are: {valid}") from None
