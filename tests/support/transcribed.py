"""Videos that already have a transcript, ready for the (cheap, real) detection stage.

Fault tests need many real jobs that finish in milliseconds; detection on a short stored
transcript is one: it reads the database, scores, and writes clips once per video.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clipforge.db.tables import Clip, Transcript, Video
from clipforge.domain.status import Stage, VideoStatus, stage_job_id
from clipforge.domain.transcript import Segment, Word
from clipforge.domain.transcript import Transcript as TranscriptData
from clipforge.queues.client import JobQueues
from clipforge.queues.definitions import QueueName

_SENTENCES = (
    "Here is the one thing nobody tells you about starting a company.",
    "You will be wrong most of the time, and that is fine.",
    "The secret is to be wrong quickly and cheaply, then try again.",
    "So what should you do on your first day?",
    "Talk to ten customers before you write a single line of code.",
    "That is how the best founders I know got started.",
)


def short_transcript(seconds_per_word: float = 0.4) -> TranscriptData:
    """About 25 s of speech in six sentences: enough for one or two candidate clips."""
    segments: list[Segment] = []
    clock = 0.0
    for sentence in _SENTENCES:
        words: list[Word] = []
        for token in sentence.split():
            words.append(Word(f" {token}", clock, clock + seconds_per_word * 0.9, 0.95))
            clock += seconds_per_word
        segments.append(Segment(sentence, words[0].start, words[-1].end, tuple(words)))
        clock += 0.3
    return TranscriptData(language="en", duration=clock, segments=tuple(segments))


def add_transcribed_videos(sessions: sessionmaker[Session], owner_id: str, count: int) -> list[str]:
    """`count` videos in the detecting state, each with the short transcript; their ids."""
    data = short_transcript()
    ids = [uuid.uuid4().hex for _ in range(count)]
    with sessions.begin() as session:
        for video_id in ids:
            session.add(
                Video(
                    id=video_id,
                    owner_id=owner_id,
                    status=VideoStatus.DETECTING,
                    stage=Stage.DETECT,
                    source_kind="upload",
                    source="talk.mp4",
                    title="talk",
                    duration=data.duration,
                )
            )
        session.flush()
        for video_id in ids:
            session.add(
                Transcript(
                    video_id=video_id,
                    language=data.language,
                    duration=data.duration,
                    engine=data.engine,
                    model=data.model,
                    word_count=len(data.words),
                    data=data.to_dict(),
                )
            )
    return ids


async def enqueue_detection(queues: JobQueues, owner_id: str, video_ids: list[str]) -> None:
    for video_id in video_ids:
        await queues.enqueue(
            QueueName.DETECTION,
            stage_job_id(video_id, Stage.DETECT),
            {"video_id": video_id, "owner_id": owner_id},
        )


def statuses(sessions: sessionmaker[Session], video_ids: list[str]) -> dict[str, int]:
    """How many of these videos are in each status."""
    with sessions() as session:
        rows = session.execute(
            select(Video.status, func.count()).where(Video.id.in_(video_ids)).group_by(Video.status)
        ).all()
    return {str(status): int(n) for status, n in rows}


def clip_ranks(sessions: sessionmaker[Session], video_ids: list[str]) -> dict[str, list[int]]:
    """Each video's clip ranks, sorted: 1..n once each when nothing was written twice."""
    ranks: dict[str, list[int]] = {video_id: [] for video_id in video_ids}
    with sessions() as session:
        for video_id, rank in session.execute(
            select(Clip.video_id, Clip.rank).where(Clip.video_id.in_(video_ids))
        ):
            ranks[str(video_id)].append(int(rank))
    return {video_id: sorted(found) for video_id, found in ranks.items()}
