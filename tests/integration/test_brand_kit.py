"""Brand kit, caption fonts and per-export caption overrides: API, scoping, real renders."""

from __future__ import annotations

import stat
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from clipforge import accounts
from clipforge.db.tables import Export
from clipforge.domain.brand import BrandSnapshot, FontChoice, LogoSpec, TitleCardSpec, styled
from clipforge.domain.captions import get_caption_style
from clipforge.domain.font_file import FontFileError, read_font_info
from clipforge.domain.keys import original_key
from clipforge.media.branding import BrandRender, LogoError, LogoOverlay, TitleCard, read_logo
from clipforge.media.export import ExportRequest, build_export_args
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.fonts import default_font_path
from clipforge.media.probe import probe_media
from clipforge.pipeline.branding import prepare_branding
from clipforge.pipeline.export import ExportStage
from clipforge.storage import LocalStorage
from tests.conftest import make_settings
from tests.integration.test_accounts import _ready_video_with_export

ASSET_LIMIT = 300 * 1024
FAMILY = "Brandtest Sans"
LOGO_RGB = (255, 0, 255)
INTRO_RGB = (32, 64, 192)


def renamed_font(data: bytes, family: str) -> bytes:
    """A copy of a TTF whose name table says `family`: a new table is appended and the
    directory entry pointed at it, so the glyphs are the bundled font's but libass can
    only find this face by the new name."""
    names = {1: family, 2: "Bold", 4: f"{family} Bold", 6: family.replace(" ", "") + "-Bold"}
    records, strings = b"", b""
    for name_id, text in names.items():
        raw = text.encode("utf-16-be")
        records += struct.pack(">HHHHHH", 3, 1, 0x409, name_id, len(raw), len(strings))
        strings += raw
    table = struct.pack(">HHH", 0, len(names), 6 + len(records)) + records + strings
    out = bytearray(data)
    out += b"\0" * (-len(out) % 4)
    offset = len(out)
    out += table
    for i in range(struct.unpack_from(">H", out, 4)[0]):
        at = 12 + 16 * i
        if out[at : at + 4] == b"name":
            struct.pack_into(">II", out, at + 8, offset, len(table))
    return bytes(out)


def make(path: Path, *args: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("brand-assets")
    font = folder / "brandtest.ttf"
    font.write_bytes(renamed_font(default_font_path().read_bytes(), FAMILY))
    colour = "0x{:02X}{:02X}{:02X}".format(*LOGO_RGB)
    return {
        "png": make(folder / "logo.png", "-f", "lavfi", "-i", f"color=c={colour}:s=200x100",
                    "-frames:v", "1"),
        "jpg": make(folder / "logo.jpg", "-f", "lavfi", "-i", "color=c=white:s=64x64",
                    "-frames:v", "1"),
        "source": make(
            folder / "source.mp4",
            "-f", "lavfi", "-i", "color=c=0x404040:s=640x360:r=25:d=1",
            "-f", "lavfi", "-i", "sine=f=440:d=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest",
        ),
        "font": font,
    }  # fmt: skip


@pytest.fixture
def settings(tmp_path, database_url, redis_url_setting):
    return make_settings(
        tmp_path / "data",
        database_url,
        redis_url_setting,
        rate_limit_per_minute=1000,
        max_concurrent_jobs=50,
        max_brand_asset_bytes=ASSET_LIMIT,
    )


def _user(resources, email: str) -> tuple[str, dict[str, str]]:
    user = accounts.create_user(resources.sessions, email)
    secret = accounts.create_key(resources.sessions, user.id, "test").secret
    return user.id, {"Authorization": f"Bearer {secret}"}


def _file(path: Path | bytes, name: str = "upload.bin") -> dict[str, tuple[str, bytes]]:
    data = path if isinstance(path, bytes) else path.read_bytes()
    return {"file": (name, data)}


# --- pure pieces ------------------------------------------------------------------------------


def test_font_files_are_parsed_and_junk_refused(assets) -> None:
    info = read_font_info(assets["font"].read_bytes())
    assert (info.family, info.subfamily, info.format, info.is_bold) == (FAMILY, "Bold", "ttf", True)
    bundled = default_font_path().read_bytes()
    for junk, reason in [
        (b"PK\x03\x04 not a font at all", "not a TTF or OTF"),
        (b"ttcf" + bundled[4:], "collection"),
        (bundled[:40], "truncated"),
        (b"wOF2" + bundled[4:], "WOFF2"),
    ]:
        with pytest.raises(FontFileError, match=reason):
            read_font_info(junk)


def test_logos_are_decoded_not_trusted(assets, tmp_path) -> None:
    assert read_logo(assets["png"]).content_type == "image/png"
    jpg = read_logo(assets["jpg"])
    assert (jpg.content_type, jpg.width, jpg.height) == ("image/jpeg", 64, 64)
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    with pytest.raises(LogoError, match="decoded"):
        read_logo(fake)
    text = tmp_path / "logo.png"
    text.write_text("<svg/>")
    with pytest.raises(LogoError, match="PNG or JPEG"):
        read_logo(text)


def test_style_layers_preset_then_brand_then_overrides() -> None:
    font = FontChoice(id="f1", family=FAMILY, bold=False, key="fonts/u/f1.ttf")
    brand = BrandSnapshot(primary_colour="#111111", highlight_colour="#222222", font=font)
    base = get_caption_style("minimal")
    style = styled(
        base,
        brand=brand,
        overrides={"highlight_colour": "#00ff00", "uppercase": True, "position": "top"},
        font_paths={"f1": "/tmp/f1.ttf"},
    )
    assert (style.primary_colour, style.highlight_colour) == ("#111111", "#00FF00")
    assert (style.font_name, style.font_file, style.bold) == (FAMILY, "/tmp/f1.ttf", False)
    assert style.uppercase and not style.lowercase, "uppercase wins over the preset's lowercase"
    assert style.position == "top" and style.max_words_per_line == base.max_words_per_line
    with pytest.raises(ValueError, match="at least 1"):
        styled(base, brand=None, overrides={"max_words_per_line": 0})


def test_brand_moves_the_export_into_one_filter_graph(assets, tmp_path) -> None:
    info = probe_media(assets["source"])
    brand = BrandRender(
        logo=LogoOverlay(assets["png"], "top-right", 0.2, 0.8),
        intro=TitleCard("Hi", 1.0, "#000000", ass=tmp_path / "intro.ass"),
        outro=TitleCard("Bye", 2.0, "#FFFFFF", ass=tmp_path / "outro.ass"),
    )
    req = ExportRequest(assets["source"], 0.2, 0.7, [], "1:1", "karaoke", "draft", brand=brand)
    args = build_export_args(req, info, tmp_path / "c.ass", tmp_path / "o.mp4")
    source = args.index(str(assets["source"]))
    assert args[source - 5 : source] == ["-ss", "0.200", "-t", "0.500", "-i"], (
        "the source is read for the clip's length only"
    )
    assert args[args.index(str(assets["png"])) - 1] == "-i"
    assert "-vf" not in args and "-af" not in args
    graph = args[args.index("-filter_complex") + 1]
    assert "concat=n=3:v=1:a=1[vout][aout]" in graph and "loudnorm" in graph
    assert "overlay=x=main_w-overlay_w-29:y=29" in graph and "aa=0.800" in graph
    assert args[args.index("-t", source) + 1] == "3.500", "intro + clip + outro"
    maps = [args[i + 1] for i, a in enumerate(args) if a == "-map"]
    assert maps == ["[vout]", "[aout]"]

    with pytest.raises(ValueError, match="ASS file"):
        unwritten = BrandRender(intro=TitleCard("Hi", 1.0, "#000000"))
        build_export_args(
            ExportRequest(assets["source"], 0, 0.5, [], "1:1", "karaoke", brand=unwritten),
            info,
            tmp_path / "c.ass",
            tmp_path / "o.mp4",
        )


async def test_assets_deleted_after_the_request_are_left_out_not_fatal(tmp_path) -> None:
    storage = LocalStorage(tmp_path / "store")
    await storage.put_bytes("fonts/u/present.ttf", default_font_path().read_bytes())
    gone_font = FontChoice(id="gone", family="Gone Sans", bold=True, key="fonts/u/gone.ttf")
    kept_font = FontChoice(id="present", family="Open Sans", bold=True, key="fonts/u/present.ttf")
    brand = BrandSnapshot(
        logo=LogoSpec("brand/u/logo-old.png", "top-left", 0.1, 1.0),
        highlight_colour="#00FF00",
        font=gone_font,
        intro=TitleCardSpec("Hello", 1.0, "#000000"),
    )
    style, render = await prepare_branding(
        storage,
        caption_style="karaoke",
        caption_options={"font": kept_font.to_dict()},
        brand=brand.to_dict(),
        folder=tmp_path / "work",
    )
    assert style is not None and render is not None
    assert style.font_file == str(tmp_path / "work" / "font-present.ttf")
    assert style.highlight_colour == "#00FF00"
    assert render.logo is None and render.intro is not None
    no_font, _ = await prepare_branding(
        storage, caption_style="karaoke", caption_options=None, brand=brand.to_dict(),
        folder=tmp_path / "work2",
    )  # fmt: skip
    assert no_font is not None and no_font.font_name == "Open Sans" and no_font.font_file is None


# --- API --------------------------------------------------------------------------------------


async def test_brand_kit_is_per_user_and_checked(client, resources, assets) -> None:
    _, a = _user(resources, "a@example.com")
    _, b = _user(resources, "b@example.com")
    empty = await client.get("/v1/brand-kit", headers=a)
    assert empty.status_code == 200 and empty.json()["configured"] is False

    for bad, code, words in [
        (_file(b"just text", "logo.png"), 400, "PNG or JPEG"),
        (_file(b"\x89PNG\r\n\x1a\n" + b"\x01" * 64, "logo.png"), 400, "decoded"),
        (_file(b"\x89PNG" + b"\x00" * (ASSET_LIMIT + 10), "big.png"), 413, "300 KB"),
    ]:
        refused = await client.put("/v1/brand-kit/logo", files=bad, headers=a)
        assert refused.status_code == code, refused.text
        assert words in refused.json()["error"]["message"]
    logo = await client.put("/v1/brand-kit/logo", files=_file(assets["png"], "l.png"), headers=a)
    assert logo.status_code == 200, logo.text
    assert logo.json()["logo"]["width"] == 200 and logo.json()["configured"]
    served = await client.get(logo.json()["logo"]["url"], headers=a)
    assert served.content == assets["png"].read_bytes()

    for body, code in [
        ({"primary_colour": "red"}, 422),
        ({"highlight_colour": "#12345G"}, 422),
        ({"logo_position": "centre"}, 422),
        ({"logo_scale": 0.9}, 422),
        ({"intro": {"text": "Hi", "seconds": 30}}, 422),
        ({"font": "no-such-font"}, 400),
        ({"surprise": 1}, 422),
    ]:
        refused = await client.put("/v1/brand-kit", json=body, headers=a)
        assert refused.status_code == code, (body, refused.text)
    colour_error = await client.put("/v1/brand-kit", json={"primary_colour": "red"}, headers=a)
    assert "#RRGGBB" in str(colour_error.json()["error"]["details"])

    kit = {
        "logo_position": "bottom-left",
        "logo_scale": 0.2,
        "logo_opacity": 1.0,
        "primary_colour": "#ffffff",
        "intro": {"text": "ACME presents", "seconds": 1.0, "background": "#2040c0"},
    }
    saved = await client.put("/v1/brand-kit", json=kit, headers=a)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["primary_colour"] == "#FFFFFF" and body["intro"]["background"] == "#2040C0"
    assert body["logo"] is not None, "saving settings keeps the logo"

    # User B sees none of it and cannot touch it.
    assert (await client.get("/v1/brand-kit", headers=b)).json()["configured"] is False
    assert (await client.get("/v1/brand-kit/logo", headers=b)).status_code == 404
    assert (await client.delete("/v1/brand-kit/logo", headers=b)).status_code == 404
    assert (await client.delete("/v1/brand-kit", headers=b)).status_code == 404
    assert (await client.get("/v1/brand-kit", headers=a)).json()["logo"] is not None

    removed = await client.delete("/v1/brand-kit/logo", headers=a)
    assert removed.status_code == 200 and removed.json()["logo"] is None
    assert (await client.delete("/v1/brand-kit", headers=a)).status_code == 204
    assert (await client.get("/v1/brand-kit", headers=a)).json()["configured"] is False


async def test_fonts_are_uploaded_listed_and_deleted_per_user(client, resources, assets) -> None:
    _, a = _user(resources, "a@example.com")
    _, b = _user(resources, "b@example.com")
    for bad, code in [
        (_file(b"definitely not a font", "x.ttf"), 400),
        (_file(b"ttcf" + default_font_path().read_bytes()[4:100], "x.ttc"), 400),
        (_file(b"\x00\x01\x00\x00" + b"\x00" * ASSET_LIMIT, "big.ttf"), 413),
    ]:
        assert (await client.post("/v1/fonts", files=bad, headers=a)).status_code == code
    created = await client.post("/v1/fonts", files=_file(assets["font"], "mine.ttf"), headers=a)
    assert created.status_code == 201, created.text
    font = created.json()
    assert (font["family"], font["style"], font["builtin"]) == (FAMILY, "Bold", False)

    mine = (await client.get("/v1/fonts", headers=a)).json()["items"]
    theirs = (await client.get("/v1/fonts", headers=b)).json()["items"]
    assert {f["id"] for f in mine} == {f["id"] for f in theirs} | {font["id"]}
    assert all(f["builtin"] for f in theirs) and any(f["family"] == "Open Sans" for f in theirs)

    kit = await client.put("/v1/brand-kit", json={"font": font["id"]}, headers=b)
    assert kit.status_code == 400 and "Unknown font" in kit.json()["error"]["message"]
    assert (await client.delete(f"/v1/fonts/{font['id']}", headers=b)).status_code == 404
    builtin = theirs[0]["id"]
    assert (await client.delete(f"/v1/fonts/{builtin}", headers=a)).status_code == 400

    used = await client.put("/v1/brand-kit", json={"font": font["id"]}, headers=a)
    assert used.json()["font"]["family"] == FAMILY
    assert (await client.delete(f"/v1/fonts/{font['id']}", headers=a)).status_code == 204
    assert (await client.get("/v1/brand-kit", headers=a)).json()["font"] is None
    after = (await client.get("/v1/fonts", headers=a)).json()["items"]
    assert font["id"] not in {f["id"] for f in after}


async def test_exports_record_caption_overrides_and_brand(client, resources, assets) -> None:
    a_id, a = _user(resources, "a@example.com")
    b_id, b = _user(resources, "b@example.com")
    video_id, clip_id, _ = await _ready_video_with_export(resources, a_id)
    _, b_clip, _ = await _ready_video_with_export(resources, b_id)
    font = (await client.post("/v1/fonts", files=_file(assets["font"]), headers=a)).json()
    caption = {"font": font["id"], "primary_colour": "#00ff00", "position": "top", "margin": 40}

    plain = await client.post(f"/v1/clips/{clip_id}/exports", json={"caption": caption}, headers=a)
    assert plain.status_code == 202, plain.text
    assert plain.json()["brand"] is None, "no kit: nothing to apply"
    recorded = plain.json()["caption"]
    assert recorded["primary_colour"] == "#00FF00" and recorded["font"]["family"] == FAMILY

    await client.put("/v1/brand-kit", json={"highlight_colour": "#FF0000"}, headers=a)
    branded = await client.post(f"/v1/clips/{clip_id}/exports", json={}, headers=a)
    assert branded.json()["brand"]["highlight_colour"] == "#FF0000", "default: kit applied"
    opted_out = await client.post(f"/v1/clips/{clip_id}/exports", json={"brand": False}, headers=a)
    assert opted_out.json()["brand"] is None

    batch = await client.post(
        f"/v1/videos/{video_id}/exports",
        json={"aspect_ratios": ["9:16", "1:1"], "caption": {"uppercase": True}},
        headers=a,
    )
    assert batch.status_code == 202, batch.text
    for item in batch.json()["items"]:
        assert item["caption"] == {"uppercase": True} and item["brand"] is not None

    for body, code in [
        ({"caption": {"primary_colour": "green"}}, 422),
        ({"caption": {"position": "left"}}, 422),
        ({"caption": {"max_words_per_line": 0}}, 422),
        ({"caption": {"font_size": 1000}}, 422),
        ({"caption": {"font": "nope"}}, 400),
    ]:
        refused = await client.post(f"/v1/clips/{clip_id}/exports", json=body, headers=a)
        assert refused.status_code == code, (body, refused.text)
    # B can neither use A's font nor ask for a kit B does not have.
    stolen = await client.post(
        f"/v1/clips/{b_clip}/exports", json={"caption": {"font": font["id"]}}, headers=b
    )
    assert stolen.status_code == 400
    no_kit = await client.post(f"/v1/clips/{b_clip}/exports", json={"brand": True}, headers=b)
    assert no_kit.status_code == 400 and "brand kit" in no_kit.json()["error"]["message"]


# --- real render ------------------------------------------------------------------------------


def _rgb_at(video: Path, t: float) -> np.ndarray:
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24").astype(int)
    raise AssertionError(f"no frame at {t}s")


def _near(pixel: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    return bool(np.all(np.abs(pixel - np.array(rgb)) <= tolerance))


async def test_branded_export_renders_logo_intro_outro_and_uploaded_font(
    client, resources, assets, tmp_path, monkeypatch
) -> None:
    """Through the API and the export stage: the logo sits in its corner, the intro card
    opens the video for its seconds, the outro closes it, and libass draws the captions
    with the uploaded font even though fontconfig sees no fonts at all."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path}/fc</cachedir></fontconfig>'
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    # Every ffmpeg run writes an info-level report of its own (libass says which face it
    # picked for which family there).
    reports = tmp_path / "reports"
    reports.mkdir()
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(
        f'#!/bin/sh\nFFREPORT="file={reports}/run-$$.log:level=32" exec {ffmpeg_exe()} "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CLIPFORGE_FFMPEG", str(wrapper))

    owner = accounts.local_user(resources.sessions).id
    video_id, clip_id, _ = await _ready_video_with_export(resources, owner)
    await resources.storage.put_file(original_key(video_id), assets["source"])
    assert (await client.put("/v1/brand-kit/logo", files=_file(assets["png"]))).status_code == 200
    font = (await client.post("/v1/fonts", files=_file(assets["font"]))).json()
    kit = {
        "logo_position": "bottom-left",
        "logo_scale": 0.2,
        "logo_opacity": 1.0,
        "font": font["id"],
        "intro": {"text": "ACME", "seconds": 1.0, "background": "#{:02X}{:02X}{:02X}".format(
            *INTRO_RGB)},
        "outro": {"text": "Thanks", "seconds": 0.5, "background": "#C04020"},
    }  # fmt: skip
    assert (await client.put("/v1/brand-kit", json=kit)).status_code == 200
    created = await client.post(
        f"/v1/clips/{clip_id}/exports",
        json={
            "aspect_ratio": "1:1",
            "quality": "draft",
            "caption": {"position": "top", "primary_colour": "#00FF00", "highlight": False},
        },
    )
    assert created.status_code == 202, created.text
    export_id = created.json()["id"]

    async def progress(_: float) -> None:
        return None

    await ExportStage(resources.sessions, resources.storage).run({"export_id": export_id}, progress)
    with resources.sessions() as session:
        row = session.get(Export, export_id)
        assert row is not None and row.status == "ready", row and row.error
        assert row.video_key is not None
        duration = row.duration
    video = resources.storage.local_path(row.video_key)
    assert video is not None

    assert duration is not None and abs(duration - (1.0 + 0.5 + 0.5)) < 0.15, duration
    with av.open(str(video)) as c:
        audio = c.streams.audio[0]
        assert audio.duration is not None and audio.time_base is not None
        assert abs(float(audio.duration * audio.time_base) - duration) < 0.15
    first = _rgb_at(video, 0.0)
    assert _near(first[5, 5], INTRO_RGB), first[5, 5]
    assert _near(_rgb_at(video, 0.9)[5, 5], INTRO_RGB), "the card lasts its second"

    clip = _rgb_at(video, 1.25)
    # 720x720 frame: logo 144x72 at a 29-pixel margin from the bottom-left corner.
    assert _near(clip[655, 100], LOGO_RGB), clip[655, 100]
    assert _near(clip[655, 620], (64, 64, 64)), "the other corners show the clip"
    assert _near(clip[60, 620], (64, 64, 64))
    green = (clip[..., 1] > 180) & (clip[..., 0] < 100) & (clip[..., 2] < 100)
    rows = np.where(green.any(axis=1))[0]
    assert rows.size > 0 and rows.max() < 360, "green caption drawn in the top half"
    assert _near(_rgb_at(video, 1.8)[5, 5], (0xC0, 0x40, 0x20)), "outro card at the end"

    logs = "\n".join(p.read_text(errors="replace") for p in reports.glob("run-*.log"))
    picked = [line for line in logs.splitlines() if "fontselect:" in line]
    assert picked and all(f"({FAMILY}, 700, 0) -> BrandtestSans-Bold" in ln for ln in picked), (
        picked
    )
    assert f"font-{font['id']}.ttf" in logs, "the uploaded file was loaded from the fonts dir"
