"""Tables. Rows are owned by the stage that writes them; see docs/architecture.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: argon2id hash; None for users who sign in with API keys only.
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="user")
    #: The implicit owner in embedded single-user mode; never signs in.
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The first characters of the key, shown in listings so a person can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole key: keys are 256-bit random, so a fast hash is safe here.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class WebSession(Base):
    __tablename__ = "web_sessions"

    #: SHA-256 of the cookie value; the cookie itself is never stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Video(Base):
    __tablename__ = "videos"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    stage_progress: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    failed_stage: Mapped[str | None] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(8))
    #: What the user gave (URL or file name), for display only; never used as a path.
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    original_key: Mapped[str | None] = mapped_column(String(512))
    audio_key: Mapped[str | None] = mapped_column(String(512))
    duration: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    #: Spoken language the user chose (ISO code); None: the engine detects it.
    language: Mapped[str | None] = mapped_column(String(16))
    #: What the user asked detection for (DetectOptions.to_dict); None: the settings' defaults.
    detect_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    transcript: Mapped[Transcript | None] = relationship(
        back_populates="video", cascade="all, delete-orphan", uselist=False
    )
    clips: Mapped[list[Clip]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="Clip.rank"
    )


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Unique: a replayed transcription stage replaces nothing and adds nothing.
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    duration: Mapped[float] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(256))
    word_count: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    video: Mapped[Video] = relationship(back_populates="transcript")


class Clip(Base):
    __tablename__ = "clips"
    __table_args__ = (UniqueConstraint("video_id", "rank", name="uq_clips_video_rank"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, int]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    hashtags: Mapped[list[str] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    video: Mapped[Video] = relationship(back_populates="clips")
    exports: Mapped[list[Export]] = relationship(
        back_populates="clip", cascade="all, delete-orphan", order_by="Export.created_at"
    )


class ExportBatch(Base):
    """Many clips x many aspect ratios requested at once; each item is its own export job."""

    __tablename__ = "export_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    exports: Mapped[list[Export]] = relationship(order_by="Export.created_at")


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    caption_style: Mapped[str] = mapped_column(String(32))
    quality: Mapped[str] = mapped_column(String(16), default="standard", server_default="standard")
    #: face (follow the speaker), center or fit (whole frame over a blurred fill).
    reframe: Mapped[str] = mapped_column(String(8), default="face", server_default="face")
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    video_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    srt_key: Mapped[str | None] = mapped_column(String(512))
    vtt_key: Mapped[str | None] = mapped_column(String(512))
    batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("export_batches.id", ondelete="SET NULL"), index=True
    )
    duration: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    #: Caption overrides asked for (clipforge.domain.brand.CAPTION_FIELDS, font resolved).
    caption_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The brand applied (BrandSnapshot.to_dict), taken when the export was requested.
    brand: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    clip: Mapped[Clip] = relationship(back_populates="exports")


class UserFont(Base):
    """A TTF/OTF a user uploaded for captions; names read from its own name table."""

    __tablename__ = "user_fonts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(200))
    subfamily: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int | None] = mapped_column(Integer)
    #: 'ttf' or 'otf'.
    format: Mapped[str] = mapped_column(String(8))
    file_key: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    #: The uploader's file name, for display only.
    filename: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BrandKit(Base):
    """One user's brand: logo, caption colours and font, title cards. One row per user."""

    __tablename__ = "brand_kits"

    owner_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    logo_key: Mapped[str | None] = mapped_column(String(512))
    logo_content_type: Mapped[str | None] = mapped_column(String(32))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    logo_position: Mapped[str] = mapped_column(String(16), default="top-right")
    logo_scale: Mapped[float] = mapped_column(Float, default=0.15)
    logo_opacity: Mapped[float] = mapped_column(Float, default=0.9)
    primary_colour: Mapped[str | None] = mapped_column(String(7))
    highlight_colour: Mapped[str | None] = mapped_column(String(7))
    outline_colour: Mapped[str | None] = mapped_column(String(7))
    #: A font id as listed by GET /v1/fonts (shipped or one of the owner's uploads).
    font_id: Mapped[str | None] = mapped_column(String(64))
    #: TitleCardSpec.to_dict() or None.
    intro: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outro: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
