#!/usr/bin/env bash
# Build samples/sample.mp4: a ~2.5 minute talk with real (synthetic) speech on five
# self-contained topics, for demos and end-to-end tests of transcription and clip detection.
#
# Needs espeak-ng (apt install espeak-ng) and the repository's .venv (imageio-ffmpeg).
# Reproducible: same inputs, same text, single-threaded x264, no timestamps in metadata.
# Usage: scripts/make_sample.sh [output.mp4]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/samples/sample.mp4}"
TXT="$(dirname "$OUT")/sample.txt"
PY="$ROOT/.venv/bin/python"
FF="$("$PY" -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')"
FONT="$ROOT/clipforge/fonts/OpenSans-Bold.ttf"
command -v espeak-ng >/dev/null || { echo "espeak-ng is required (apt install espeak-ng)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

TITLES=(
  "Sleep science"
  "A cooking tip"
  "A startup story"
  "A travel anecdote"
  "Personal finance"
)
VOICES=(en-us en-gb-x-rp en-us en-gb en-us)
TEXTS=(
  "Here is something most people get wrong about sleep. You cannot catch up on a lost night by sleeping in on the weekend. Your body keeps a strict schedule, and shifting it by three hours every Saturday is like flying to another time zone and back. Researchers call it social jet lag. The fix is simple and free. Wake up at the same time every day, even on Sunday, and you will feel more rested within a week."
  "Want to know why restaurant pasta tastes better than yours? It is not the sauce. It is the water. Most home cooks barely salt the pot, so the pasta itself tastes of nothing. Chefs add about a tablespoon of salt for every four litres, and they save a cup of the starchy water to stir into the sauce at the end. That starch makes the sauce cling to every piece. Try it tonight and you will never go back."
  "Our startup almost died on a Tuesday. We had two weeks of money left and not a single paying customer. So we stopped writing code and spent five days calling the people who had signed up and never come back. Every one of them said the same thing. The product was fine, but setting it up took an hour. We cut setup to five minutes, and by the end of that month we had our first forty customers. The lesson is simple. Talk to your users before you build anything else."
  "The best meal I ever had cost three euros. I missed the last train out of a tiny village in Portugal, and the only place still open was a bakery closing for the night. The owner saw my backpack, laughed, and handed me a warm custard tart and a coffee. We talked for an hour with my terrible Portuguese and his hand gestures. I have eaten in fancy restaurants since then, but nothing comes close. Sometimes getting lost is the whole point of travelling."
  "If you remember one thing about money, make it this. Pay yourself first. Most people save whatever is left at the end of the month, and that is usually nothing. Instead, set up an automatic transfer on payday, even if it is only ten percent. You adapt to the smaller number surprisingly fast. After a few years, compound interest does the heavy lifting, and that boring automatic transfer becomes the smartest decision you ever made."
)
PAUSE=1.2   # seconds of silence between topics
SPEED=150   # words per minute: moderate

: > "$TXT"
: > "$TMP/concat.txt"
"$FF" -hide_banner -loglevel error -f lavfi -i "anullsrc=r=22050:cl=mono" -t "$PAUSE" \
  -c:a pcm_s16le "$TMP/pause.wav"
filters=""
t=0
for i in "${!TEXTS[@]}"; do
  n=$((i + 1))
  espeak-ng -v "${VOICES[$i]}" -s "$SPEED" -p 45 -w "$TMP/p$n.wav" "${TEXTS[$i]}"
  dur="$("$PY" -c 'import sys, wave; w = wave.open(sys.argv[1]); print(w.getnframes() / w.getframerate())' "$TMP/p$n.wav")"
  start="$t"
  end="$("$PY" -c "print(round($t + $dur, 3))")"
  t="$("$PY" -c "print(round($end + $PAUSE, 3))")"
  printf '%s\n' "${TITLES[$i]}" > "$TMP/title$n.txt"
  printf 'Part %d of %d' "$n" "${#TEXTS[@]}" > "$TMP/part$n.txt"
  filters+=",drawtext=fontfile=$FONT:textfile=$TMP/title$n.txt:fontsize=40:fontcolor=white:x=(w-tw)/2:y=130:enable='between(t,$start,$t)'"
  filters+=",drawtext=fontfile=$FONT:textfile=$TMP/part$n.txt:fontsize=20:fontcolor=white@0.7:x=(w-tw)/2:y=190:enable='between(t,$start,$t)'"
  printf '## %s (%.1f-%.1f s, voice %s)\n%s\n\n' "${TITLES[$i]}" "$start" "$end" "${VOICES[$i]}" "${TEXTS[$i]}" >> "$TXT"
  printf "file '%s'\nfile '%s'\n" "$TMP/p$n.wav" "$TMP/pause.wav" >> "$TMP/concat.txt"
done

"$FF" -hide_banner -loglevel error -y -f concat -safe 0 -i "$TMP/concat.txt" -c:a pcm_s16le "$TMP/speech.wav"
# An explicit length (not -shortest, whose overshoot varies run to run) keeps output identical.
total="$("$PY" -c 'import sys, wave; w = wave.open(sys.argv[1]); print(round(w.getnframes() / w.getframerate(), 3))' "$TMP/speech.wav")"

# Slowly shifting colour background, a moving label so it is not a still, and the topic title.
"$FF" -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x1d3557:s=640x360:r=15,hue=h=6*t:s=1.2" \
  -i "$TMP/speech.wav" \
  -filter_complex "[0:v]drawtext=fontfile=$FONT:text='ClipForge sample':fontsize=18:fontcolor=white@0.6:x=mod(40*t\,w+tw)-tw:y=h-40${filters}[v]" \
  -map "[v]" -map 1:a -t "$total" \
  -c:v libx264 -preset slow -crf 30 -tune animation -g 150 -pix_fmt yuv420p -threads 1 \
  -c:a aac -b:a 64k -ac 1 -ar 44100 \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
  -movflags +faststart "$OUT"

"$PY" - "$OUT" <<'PYEOF'
import os, sys
import av
path = sys.argv[1]
with av.open(path) as c:
    print(f"{path}: {c.duration / av.time_base:.1f} s, {os.path.getsize(path) / 1e6:.2f} MB")
PYEOF
