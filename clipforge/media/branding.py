"""Brand pieces of the export filter graph: logo overlay and intro/outro title cards.

Everything stays in the export's single ffmpeg pass. The clip's own chain (crop, scale,
captions) is trimmed to the clip, the logo is overlaid on it, and title cards are built
inside the graph from a `color` source with their text drawn by libass (same fonts folder
as the captions, so a server without system fonts draws them the same), joined to the clip
with `concat`, their audio being generated silence.

Also here: checking that an uploaded logo really is a PNG or JPEG picture by decoding it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from clipforge.domain.captions import ass_colour, ass_time, escape_ass_text

#: Largest logo side accepted, checked from the header before any pixel is decoded.
MAX_LOGO_SIDE = 4096
#: Logo distance from the frame edges, as a share of the frame's short side.
LOGO_MARGIN = 0.04
#: Title text size as a share of the frame's short side, and the side margins.
CARD_FONT_SHARE = 0.075
CARD_MARGIN_SHARE = 0.08
CARD_FADE_MS = 200

_AUDIO_FORMAT = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
_IMAGE_KINDS = {
    b"\x89PNG\r\n\x1a\n": ("png_pipe", "png", "image/png", "png"),
    b"\xff\xd8\xff": ("jpeg_pipe", "mjpeg", "image/jpeg", "jpg"),
}


class LogoError(ValueError):
    """The upload is not a usable PNG or JPEG picture; the message says why."""


@dataclass(frozen=True, slots=True)
class LogoImage:
    content_type: str
    extension: str
    width: int
    height: int


def read_logo(path: Path) -> LogoImage:
    """Check `path` holds a PNG or JPEG by its magic bytes and by decoding one frame.

    The container format is forced from the magic bytes, so ffmpeg never guesses a format
    (a playlist, say) from hostile bytes, and the size is checked before decoding.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    kind = next((v for magic, v in _IMAGE_KINDS.items() if head.startswith(magic)), None)
    if kind is None:
        raise LogoError("The logo must be a PNG or JPEG image.")
    fmt, codec, content_type, ext = kind
    try:
        with av.open(str(path), format=fmt) as container:
            if not container.streams.video:
                raise LogoError("The logo file holds no picture.")
            stream = container.streams.video[0]
            ctx = stream.codec_context
            if ctx.name != codec:
                raise LogoError("The logo must be a PNG or JPEG image.")
            if max(ctx.width or 0, ctx.height or 0) > MAX_LOGO_SIDE:
                raise LogoError(f"The logo is larger than {MAX_LOGO_SIDE} pixels on a side.")
            frame = next(container.decode(stream), None)
    except (av.error.FFmpegError, OSError, StopIteration) as exc:
        raise LogoError(f"The logo could not be decoded as an image: {exc}") from exc
    if frame is None or frame.width < 1 or frame.height < 1:
        raise LogoError("The logo could not be decoded as an image.")
    return LogoImage(content_type, ext, frame.width, frame.height)


@dataclass(frozen=True, slots=True)
class LogoOverlay:
    path: Path
    #: One of clipforge.domain.brand.LOGO_POSITIONS.
    position: str
    #: Logo width as a share of the frame width.
    scale: float
    opacity: float


@dataclass(frozen=True, slots=True)
class TitleCard:
    text: str
    seconds: float
    background: str
    text_colour: str = "#FFFFFF"
    font_name: str = "Open Sans"
    bold: bool = True
    #: The card's ASS file, written by `write_title_cards` before the command is built.
    ass: Path | None = None


@dataclass(frozen=True, slots=True)
class BrandRender:
    """What an export adds around and over the clip."""

    logo: LogoOverlay | None = None
    intro: TitleCard | None = None
    outro: TitleCard | None = None

    @property
    def active(self) -> bool:
        return bool(self.logo or self.intro or self.outro)

    @property
    def lead_seconds(self) -> float:
        """How far the clip starts into the output (the intro card's length)."""
        return self.intro.seconds if self.intro else 0.0

    def total_seconds(self, clip_seconds: float) -> float:
        tail = self.outro.seconds if self.outro else 0.0
        return self.lead_seconds + clip_seconds + tail


def _hex(colour: str) -> str:
    return "0x" + colour.strip().lstrip("#").upper()


def card_ass(card: TitleCard, width: int, height: int) -> str:
    """An ASS document showing the card's text centred for its whole length."""
    short = min(width, height)
    margin = round(width * CARD_MARGIN_SHARE)
    colour = ass_colour(card.text_colour)
    style = ",".join(
        [
            "Card", card.font_name, str(round(short * CARD_FONT_SHARE)), colour, colour,
            "&H00000000", "&H00000000", "-1" if card.bold else "0", "0", "0", "0",
            "100", "100", "0", "0", "1", "0", "0", "5", str(margin), str(margin), "0", "1",
        ]
    )  # fmt: skip
    text = escape_ass_text(card.text)
    return (
        "[Script Info]\n"
        "; Generated by ClipForge\n"
        "ScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\n"
        "WrapStyle: 0\nScaledBorderAndShadow: yes\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: {style}\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        f"Dialogue: 0,0:00:00.00,{ass_time(card.seconds)},Card,,0,0,0,,"
        f"{{\\fad({CARD_FADE_MS},{CARD_FADE_MS})}}{text}\n"
    )


def write_title_cards(brand: BrandRender, folder: Path, width: int, height: int) -> BrandRender:
    """Write each card's ASS file into `folder`; the returned brand points at them."""

    def written(card: TitleCard | None, name: str) -> TitleCard | None:
        if card is None:
            return None
        path = folder / f"{name}.ass"
        path.write_text(card_ass(card, width, height), encoding="utf-8")
        return dataclasses.replace(card, ass=path)

    return dataclasses.replace(
        brand, intro=written(brand.intro, "intro"), outro=written(brand.outro, "outro")
    )


@dataclass(frozen=True, slots=True)
class BrandedGraph:
    """Arguments that replace the export's plain `-vf`/`-af` when a brand applies."""

    inputs: list[str]
    filter_args: list[str]
    video_map: str
    audio_map: str
    total: float


def _logo_xy(position: str) -> tuple[str, str]:
    left = position.endswith("left")
    top = position.startswith("top")
    return ("M" if left else "main_w-overlay_w-M", "M" if top else "main_h-overlay_h-M")


def branded_graph(
    brand: BrandRender,
    args: Sequence[str],
    *,
    source: str,
    video_in: str,
    audio_in: str,
    video_chain: str,
    audio_chain: str | None,
    size: tuple[int, int],
    fps: float,
    duration: float,
    fonts: Path,
    escape: Callable[[str], str],
) -> BrandedGraph:
    """The export's inputs and `-filter_complex` with the brand applied.

    `args` are the input arguments built so far; `video_chain` is the clip's own video
    filter chain (crop, scale, captions) and `audio_chain` its audio filter, if any.
    The source input is limited to the clip's length (`-t` before its `-i`) so a clip early
    in a long source does not decode the rest of it while the outro plays. `escape` is the
    filter value escaper the clip's chain uses (passed in to keep this module below it).
    """
    width, height = size
    inputs = list(args)
    for i in range(len(inputs) - 1):
        if inputs[i] == "-i" and inputs[i + 1] == source:
            inputs[i:i] = ["-t", f"{duration:.3f}"]
            break
    d = f"{duration:.3f}"
    parts = [f"[{video_in}]{video_chain},trim=duration={d},setpts=PTS-STARTPTS[clipv]"]
    video = "clipv"
    if brand.logo is not None:
        logo_index = inputs.count("-i")
        inputs += ["-i", str(brand.logo.path)]
        logo_w = max(2, round(width * brand.logo.scale))
        margin = round(min(width, height) * LOGO_MARGIN)
        x, y = _logo_xy(brand.logo.position)
        parts.append(
            f"[{logo_index}:v]scale={logo_w}:-1,format=rgba,"
            f"colorchannelmixer=aa={brand.logo.opacity:.3f}[logo]"
        )
        parts.append(
            f"[clipv][logo]overlay=x={x.replace('M', str(margin))}"
            f":y={y.replace('M', str(margin))}:format=auto,format=yuv420p[logov]"
        )
        video = "logov"
    audio = ",".join(c for c in (audio_chain, _AUDIO_FORMAT) if c)
    parts.append(f"[{audio_in}]{audio},atrim=duration={d},asetpts=PTS-STARTPTS[clipa]")
    segments = [(video, "clipa")]
    # Cards run at the clip's frame rate, within what players expect of a short video.
    rate = round(min(max(fps, 1.0), 60.0), 3)
    for name in ("intro", "outro"):
        card: TitleCard | None = getattr(brand, name)
        if card is None:
            continue
        if card.ass is None:
            raise ValueError(f"The {name} card's ASS file was not written.")
        s = f"{card.seconds:.3f}"
        parts.append(
            f"color=c={_hex(card.background)}:s={width}x{height}:r={rate:g}:d={s},"
            f"ass=filename={escape(str(card.ass))}:fontsdir={escape(str(fonts))},"
            f"format=yuv420p,setsar=1[{name}v]"
        )
        parts.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={s},{_AUDIO_FORMAT}[{name}a]")
        if name == "intro":
            segments.insert(0, ("introv", "introa"))
        else:
            segments.append(("outrov", "outroa"))
    if len(segments) > 1:
        joined = "".join(f"[{v}][{a}]" for v, a in segments)
        parts.append(f"{joined}concat=n={len(segments)}:v=1:a=1[vout][aout]")
        video_map, audio_map = "[vout]", "[aout]"
    else:
        video_map, audio_map = f"[{video}]", "[clipa]"
    return BrandedGraph(
        inputs=inputs,
        filter_args=["-filter_complex", ";".join(parts)],
        video_map=video_map,
        audio_map=audio_map,
        total=brand.total_seconds(duration),
    )
