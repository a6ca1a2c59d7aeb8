"""The two prompts sent to a language model: find moments, then pick clips and write copy.

Both ask for a JSON object of a fixed shape (see llm_schema.py) and say so twice, in the
instructions and in an example, because small local models follow an example better than a
description. Sentences are numbered globally, so a moment's numbers mean the same in every
window and in the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.detection.llm_schema import FEATURE_MAX, MAX_TITLE_CHARS
from clipforge.detection.sentences import Sentence
from clipforge.domain.detect_options import DetectOptions

MOMENTS_PER_WINDOW = 5

SCORING_RULES = f"""\
Score each clip 0-100 as the sum of four parts, each 0-{FEATURE_MAX}:
- hook: the first two seconds. Would they hold a stranger scrolling past, with no context? \
A question, a bold claim, a surprising number or a story that starts mid-action holds; \
"so", "and", "um" or a reference to something said earlier does not.
- flow: it starts and ends on complete thoughts, with no filler or dead air, and makes sense \
without the rest of the video.
- value: a clear insight, a how-to, a story with a payoff or a strong opinion.
- shareability: would someone send it to a friend or comment on it?"""

MOMENTS_SYSTEM = f"""\
You are a short-form video editor. You read part of a transcript, split into numbered \
sentences, and find the moments that would make the strongest stand-alone clips for TikTok, \
Reels and YouTube Shorts.

{SCORING_RULES}

Answer with a JSON object only, in exactly this shape:
{{"moments": [{{"first": 12, "last": 17, "score": 84, \
"breakdown": {{"hook": 23, "flow": 20, "value": 22, "shareability": 19}}, \
"reason": "Opens with \\"Why do most diets fail?\\" and answers it in one breath"}}]}}

- "first" and "last" are the numbers of the clip's first and last sentence (inclusive); use \
only numbers shown in this part of the transcript.
- "reason" is one line saying why the clip works, quoting its own words.
- Give at most {MOMENTS_PER_WINDOW} moments, best first, none overlapping; give \
{{"moments": []}} when nothing here would work as a clip."""

PICK_SYSTEM = f"""\
You choose which candidate clips to publish and write their copy for TikTok, Reels and \
YouTube Shorts.

{SCORING_RULES}

Answer with a JSON object only, in exactly this shape:
{{"clips": [{{"candidate": 3, "score": 86, \
"breakdown": {{"hook": 23, "flow": 21, "value": 22, "shareability": 20}}, \
"reason": "Opens with \\"Why do most diets fail?\\" and answers it in one breath", \
"title": "Why most diets fail", \
"description": "One or two sentences that make someone want to watch.", \
"hashtags": ["#nutrition", "#health", "#diet"]}}]}}

- "candidate" is a candidate's number. Pick the best ones, each at most once, and never two \
that overlap in time.
- "title": at most {MAX_TITLE_CHARS} characters, in the speaker's language, no hashtags, \
no quotation marks, nothing the clip does not deliver.
- "description": one or two sentences. "hashtags": 3 to 5, each starting with #.
- "reason" is one line saying why the clip works, quoting its own words."""


@dataclass(frozen=True, slots=True)
class CandidateText:
    """A candidate clip as shown in pass 2."""

    start: float
    end: float
    text: str


def clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _ask(options: DetectOptions) -> str:
    lines = [f"Clips must last {options.min_seconds:g} to {options.max_seconds:g} seconds."]
    if options.keywords:
        topics = ", ".join(options.keywords)
        lines.append(f"Favour moments about: {topics}.")
    return "\n".join(lines)


def moments_prompt(
    sentences: Sequence[Sentence], first: int, last: int, options: DetectOptions
) -> str:
    """Sentences first..last (inclusive), each as '[n] m:ss text'."""
    numbered = "\n".join(
        f"[{n}] {clock(sentences[n].start)} {sentences[n].text}" for n in range(first, last + 1)
    )
    return (
        f"{_ask(options)}\n"
        f"This part holds sentences {first} to {last} (number, start time, text):\n\n"
        f"{numbered}"
    )


def pick_prompt(candidates: Sequence[CandidateText], options: DetectOptions) -> str:
    """Candidates numbered from 1 with their time span and full text."""
    listed = "\n\n".join(
        f"Candidate {n} ({clock(c.start)}-{clock(c.end)}, {c.end - c.start:.0f} s):\n{c.text}"
        for n, c in enumerate(candidates, start=1)
    )
    wanted = min(options.count, len(candidates))
    return f"{_ask(options)}\nPick the best {wanted} of these {len(candidates)}:\n\n{listed}"
