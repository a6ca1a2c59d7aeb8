"""Render one preview frame per caption style into docs/captions/<style>.png.

Also writes the caption band of each, half size, for the dashboard's style picker.

Each style goes through the real export path (`render_clip`, draft quality) on a tiny
generated source with fixed words, then one frame (while a word is being spoken) is
extracted and scaled to 540x960.

    .venv/bin/python scripts/make_caption_previews.py [--out docs/captions]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clipforge.domain.captions import CAPTION_STYLES  # noqa: E402
from clipforge.domain.transcript import Word  # noqa: E402
from clipforge.media.export import ExportRequest, render_clip  # noqa: E402
from clipforge.media.ffmpeg import ffmpeg_exe  # noqa: E402

SOURCE_SECONDS = 3.0
#: Fixed words; the frame is taken 40 ms after "your" starts (mid-pop for "pop").
WORDS = [
    Word(" Sleep", 0.20, 0.55, 1.0),
    Word(" is", 0.60, 0.80, 1.0),
    Word(" your", 0.85, 1.20, 1.0),
    Word(" secret", 1.25, 1.70, 1.0),
    Word(" superpower.", 1.75, 2.60, 1.0),
]
FRAME_AT = 0.89
PREVIEW_SIZE = "540:960"
#: The dashboard's style picker shows the caption band of each preview, half size.
WEB_DIR = ROOT / "clipforge" / "web" / "static" / "captions"
WEB_CROP_TOP = {"top": 40, "middle": 370, "bottom": 650}


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True
    )


def make_source(path: Path) -> Path:
    """A neutral grey-blue gradient-free backdrop with a soft tone (cheap to generate)."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"color=c=0x5b6472:s=540x960:r=25:d={SOURCE_SECONDS}",
        "-f", "lavfi", "-i", f"sine=f=220:d={SOURCE_SECONDS}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path


async def render_previews(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="clipforge-previews-") as tmp:
        work = Path(tmp)
        source = make_source(work / "source.mp4")
        for name, style in CAPTION_STYLES.items():
            result = await render_clip(
                ExportRequest(source, 0.0, SOURCE_SECONDS, WORDS, "9:16", name, quality="draft"),
                work / name,
            )
            png = out_dir / f"{name}.png"
            _ffmpeg(
                "-ss", f"{FRAME_AT:.3f}", "-i", str(result.video), "-frames:v", "1",
                "-vf", f"scale={PREVIEW_SIZE}:flags=lanczos",
                "-compression_level", "9", str(png),
            )  # fmt: skip
            written.append(png)
            WEB_DIR.mkdir(parents=True, exist_ok=True)
            _ffmpeg(
                "-i", str(png),
                "-vf", f"crop=540:220:0:{WEB_CROP_TOP[style.position]},scale=270:110:flags=lanczos",
                "-compression_level", "9",
                str(WEB_DIR / f"{name}.png"),
            )  # fmt: skip
            print(
                f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: "
                f"{png.stat().st_size // 1024} KB"
            )
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "captions")
    args = parser.parse_args()
    asyncio.run(render_previews(args.out))


if __name__ == "__main__":
    main()
