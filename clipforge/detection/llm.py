"""Optional clip scoring and copy writing by a language model behind any OpenAI-compatible
`/chat/completions` endpoint (Ollama, vLLM, OpenAI).

Two passes. Pass 1 sends the transcript in ~90 s windows (overlapping a little, so a moment
across a window edge is seen whole in one of them) as numbered sentences and asks for scored
moments. Pass 2 sends the best of those, plus the local detector's candidates, and asks the
model to pick `options.count` and write a title, description and hashtags for each.

The model is an improvement, never a dependency: any failure (unreachable, an HTTP error, a
timeout, a reply that is not the JSON asked for, nothing usable in it) falls back to the local
candidates with one warning. A window that fails is skipped and the others are kept; if only
pass 2 fails, the model's scores stay and the titles come from the local detector.

Whatever the model answers, the clips obey the same rules as local ones: whole sentences,
edges on word boundaries with a little padding, durations within [min_seconds, max_seconds],
no overlaps. Sync on purpose (httpx's sync client): detection runs in a worker thread.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from clipforge.config import Settings
from clipforge.detection.llm_prompts import (
    MOMENTS_SYSTEM,
    PICK_SYSTEM,
    CandidateText,
    moments_prompt,
    pick_prompt,
)
from clipforge.detection.llm_schema import (
    MAX_TITLE_CHARS,
    Moment,
    Pick,
    SchemaError,
    one_line,
    parse_moments,
    parse_picks,
)
from clipforge.detection.sentences import Sentence, split_sentences
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Transcript, Word
from clipforge.domain.trim import snap_to_words

log = logging.getLogger(__name__)

#: Transcript sent per pass-1 request: long enough to hold a clip with its context, short
#: enough for a small model's context window and attention.
WINDOW_SECONDS = 90.0
#: Consecutive windows share this much speech, so a moment across an edge is whole in one.
OVERLAP_SECONDS = 15.0
#: After this many windows fail in a row the endpoint is taken to be down: stop asking.
MAX_CONSECUTIVE_FAILURES = 2
#: Pass 2 sees the model's best `count + POOL_EXTRA` moments plus the local candidates...
POOL_EXTRA = 3
#: ...but never more than this many in all, to keep the prompt small (a larger `count` is
#: topped up from the rest of the model's moments).
MAX_POOL = 15
#: Low but not zero: scoring should be stable, titles may vary a little.
TEMPERATURE = 0.2
#: A model-found clip takes a local candidate's title when they share this much of its time.
SAME_CLIP_OVERLAP = 0.5

_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+")


class LLMError(Exception):
    """A request or reply that cannot be used; the message says why, for the log."""


class ChatClient:
    """POSTs one chat completion and returns the JSON object the model wrote."""

    def __init__(self, http: httpx.Client, model: str, timeout_seconds: float) -> None:
        self._http = http
        self._model = model
        self._timeout = timeout_seconds

    def complete_json(self, system: str, user: str) -> Any:
        body = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "response_format": {"type": "json_object"},
            "temperature": TEMPERATURE,
            "stream": False,
        }
        try:
            response = self._http.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise LLMError(f"no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"request failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise LLMError(f"HTTP {response.status_code}: {one_line(response.text, 200)}")
        try:
            payload = response.json()
            content = payload["choices"][0]["message"]["content"]
        except (ValueError, LookupError, TypeError) as exc:
            kind = response.headers.get("content-type", "unknown type")
            raise LLMError(
                f"not a chat completion ({kind}): {one_line(response.text, 120)}"
            ) from exc
        if not isinstance(content, str):
            raise LLMError("the completion has no text content")
        return parse_json_object(content)


def parse_json_object(content: str) -> Any:
    """The JSON object in a model's message, tolerating a code fence or words around it."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end < start:
        raise LLMError(f"the model did not answer in JSON: {one_line(content, 120)!r}")
    try:
        return json.loads(content[start : end + 1])
    except ValueError as exc:
        raise LLMError(f"the model's JSON does not parse: {exc}") from exc


def plan_windows(
    sentences: Sequence[Sentence], window_seconds: float, overlap_seconds: float
) -> list[tuple[int, int]]:
    """(first, last) sentence indices of each window, in order, covering every sentence.

    A window grows while it lasts at most `window_seconds` (it always holds one sentence);
    the next starts at the earliest sentence within `overlap_seconds` of its end, but always
    after its start, so the plan advances.
    """
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first
        while (
            last + 1 < len(sentences)
            and sentences[last + 1].end - sentences[first].start <= window_seconds
        ):
            last += 1
        windows.append((first, last))
        if last == len(sentences) - 1:
            break
        following = last + 1
        while (
            following - 1 > first
            and sentences[following - 1].start >= sentences[last].end - overlap_seconds
        ):
            following -= 1
        first = following
    return windows


def repair_span(
    sentences: Sequence[Sentence], first: int, last: int, min_seconds: float, max_seconds: float
) -> tuple[int, int] | None:
    """Sentences first..last grown or cut, by whole sentences, to last min..max seconds.

    Too long: sentences come off the end (the opening is the hook). Too short: the next
    sentences are added, or earlier ones at the end of the transcript. None when no run of
    whole sentences from there fits, unless the speech as a whole is shorter than the minimum.
    """

    def length(i: int, j: int) -> float:
        return sentences[j].end - sentences[i].start

    while last > first and length(first, last) > max_seconds:
        last -= 1
    if length(first, last) > max_seconds:
        return None
    while length(first, last) < min_seconds:
        if last + 1 < len(sentences) and length(first, last + 1) <= max_seconds:
            last += 1
        elif first > 0 and length(first - 1, last) <= max_seconds:
            first -= 1
        else:
            break
    whole = first == 0 and last == len(sentences) - 1
    if length(first, last) < min_seconds and not whole:
        return None
    return first, last


def fallback_title(text: str) -> str:
    """The clip's first sentence, shortened: a title when no better one was written."""
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return one_line(first.rstrip(".,;:!"), MAX_TITLE_CHARS) or "Clip"


def non_overlapping(clips: Iterable[ClipCandidate], limit: int) -> list[ClipCandidate]:
    """Clips in the given order, skipping any that overlaps one already taken."""
    chosen: list[ClipCandidate] = []
    for clip in clips:
        if len(chosen) == limit:
            break
        if all(clip.end <= c.start or clip.start >= c.end for c in chosen):
            chosen.append(clip)
    return chosen


def _overlap(a: ClipCandidate, b: ClipCandidate) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


class LLMScorer:
    """Refines the local detector's candidates with a language model; see the module doc."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.model = model
        self.timeout_seconds = timeout_seconds
        self._api_key = api_key

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMScorer | None:
        """A scorer for the configured endpoint, or None when no endpoint is configured."""
        if not settings.llm_base_url:
            return None
        return cls(
            settings.llm_base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_seconds=settings.llm_timeout_seconds,
        )

    def refine(
        self,
        transcript: Transcript,
        local_candidates: list[ClipCandidate],
        options: DetectOptions,
    ) -> list[ClipCandidate]:
        """The model's choice of clips, or `local_candidates` unchanged if it cannot help.

        The clips it picked in pass 2 come first, best first; when it picked fewer than
        `options.count`, its other moments and then the local candidates top the list up.
        """
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            sentences = _searchable(split_sentences(transcript), options)
            if not sentences:
                return local_candidates
            with httpx.Client(
                base_url=self.base_url,
                headers=headers,
                timeout=self.timeout_seconds,
            ) as http:
                run = _Run(
                    ChatClient(http, self.model, self.timeout_seconds),
                    transcript,
                    sentences,
                    local_candidates,
                    options,
                )
                return run.refine()
        except LLMError as exc:
            log.warning("LLM scorer failed (%s); using the local clips", exc)
        except Exception as exc:  # the scorer is optional: nothing in it may fail detection
            log.warning("LLM scorer failed (%s); using the local clips", exc, exc_info=True)
        return local_candidates


def _searchable(sentences: list[Sentence], options: DetectOptions) -> list[Sentence]:
    low = options.search_start if options.search_start is not None else float("-inf")
    high = options.search_end if options.search_end is not None else float("inf")
    return [s for s in sentences if s.start >= low and s.end <= high]


class _Run:
    """One refine call: the state both passes share."""

    def __init__(
        self,
        client: ChatClient,
        transcript: Transcript,
        sentences: list[Sentence],
        local: list[ClipCandidate],
        options: DetectOptions,
    ) -> None:
        self.client = client
        self.sentences = sentences
        self.local = local
        self.options = options
        self.words: list[Word] = [w for w in transcript.words if w.clean]
        self.duration = transcript.duration if transcript.duration > 0 else None

    def refine(self) -> list[ClipCandidate]:
        found = self._find_moments()
        clips = [c for c in map(self._moment_clip, found) if c is not None]
        if not clips:
            raise LLMError("no usable moments in the model's answers")
        ranked = non_overlapping(sorted(clips, key=lambda c: (-c.score, c.start)), len(clips))
        pool = self._pool(ranked)
        rest = [self._local_copy(c) for c in ranked] + self.local
        try:
            picks = self._pick(pool)
        except LLMError as exc:
            log.warning("LLM title pass failed (%s); keeping its scores with local titles", exc)
            return self._fill([], rest)
        written = [_apply(pick, pool[pick.candidate - 1]) for pick in picks]
        chosen = non_overlapping(sorted(written, key=lambda c: -c.score), self.options.count)
        return self._fill(chosen, rest)

    # --- pass 1 ------------------------------------------------------------------------

    def _find_moments(self) -> list[Moment]:
        window = max(WINDOW_SECONDS, 1.5 * self.options.max_seconds)
        windows = plan_windows(self.sentences, window, OVERLAP_SECONDS)
        moments: list[Moment] = []
        failures: list[str] = []
        streak = 0
        for number, (first, last) in enumerate(windows, start=1):
            if streak >= MAX_CONSECUTIVE_FAILURES:
                failures.append(f"window {number}: not sent, the endpoint kept failing")
                continue
            prompt = moments_prompt(self.sentences, first, last, self.options)
            try:
                data = self.client.complete_json(MOMENTS_SYSTEM, prompt)
                found, dropped = parse_moments(data, first, last)
            except (LLMError, SchemaError) as exc:
                failures.append(f"window {number}: {exc}")
                streak += 1
                continue
            streak = 0
            moments.extend(found)
            if dropped:
                log.info("LLM window %d: dropped %d invalid moment(s)", number, dropped)
        if len(failures) == len(windows):
            raise LLMError(f"every window failed; first: {failures[0]}")
        if failures:
            log.warning(
                "LLM scorer: %d of %d windows failed, keeping the others (%s)",
                len(failures),
                len(windows),
                "; ".join(failures[:3]),
            )
        return moments

    def _moment_clip(self, moment: Moment) -> ClipCandidate | None:
        span = repair_span(
            self.sentences,
            moment.first,
            moment.last,
            self.options.min_seconds,
            self.options.max_seconds,
        )
        if span is None:
            return None
        run = self.sentences[span[0] : span[1] + 1]
        edges = self._snap(run[0].words[0], run[-1].words[-1])
        if edges is None:
            return None
        text = " ".join(s.text for s in run)
        return ClipCandidate(
            start=edges[0],
            end=edges[1],
            score=moment.score,
            breakdown=moment.breakdown.as_dict(),
            title=fallback_title(text),
            reason=moment.reason,
            text=text,
        )

    def _snap(self, first: Word, last: Word) -> tuple[float, float] | None:
        """Word edges with the usual padding, unpadded if padding would pass max_seconds.

        Padding also stays inside the search range (the words themselves already do).
        """
        try:
            trim = snap_to_words(self.words, first.start, last.end, duration=self.duration)
        except ValueError:
            return None
        if trim.end - trim.start > self.options.max_seconds:
            return round(first.start, 3), round(last.end, 3)
        low, high = self.options.search_start, self.options.search_end
        start = trim.start if low is None else max(trim.start, low)
        end = trim.end if high is None else min(trim.end, high)
        return start, end

    # --- pass 2 ------------------------------------------------------------------------

    def _pool(self, ranked: list[ClipCandidate]) -> list[ClipCandidate]:
        """The model's best moments, then local candidates that overlap none of them."""
        pool = ranked[: min(self.options.count + POOL_EXTRA, MAX_POOL)]
        for clip in self.local:
            if len(pool) >= MAX_POOL:
                break
            if all(_overlap(clip, other) == 0 for other in pool):
                pool.append(clip)
        return pool

    def _pick(self, pool: list[ClipCandidate]) -> list[Pick]:
        shown = [CandidateText(c.start, c.end, c.text) for c in pool]
        data = self.client.complete_json(PICK_SYSTEM, pick_prompt(shown, self.options))
        try:
            picks, dropped = parse_picks(data, len(pool))
        except SchemaError as exc:
            raise LLMError(str(exc)) from exc
        if dropped:
            log.info("LLM title pass: dropped %d invalid pick(s)", dropped)
        if not picks:
            raise LLMError("no valid picks")
        return picks

    # --- assembling --------------------------------------------------------------------

    def _local_copy(self, clip: ClipCandidate) -> ClipCandidate:
        """A model-found clip with the title and copy of the local candidate it matches."""
        best = max(self.local, key=lambda c: _overlap(clip, c), default=None)
        if best is None or _overlap(clip, best) < SAME_CLIP_OVERLAP * clip.duration:
            return clip
        return replace(clip, title=best.title, description=best.description, hashtags=best.hashtags)

    def _fill(self, chosen: list[ClipCandidate], rest: list[ClipCandidate]) -> list[ClipCandidate]:
        """`chosen`, topped up from `rest` in order up to `count`, never overlapping."""
        return non_overlapping([*chosen, *rest], self.options.count)


def _apply(pick: Pick, clip: ClipCandidate) -> ClipCandidate:
    return replace(
        clip,
        score=pick.score,
        breakdown=pick.breakdown.as_dict(),
        reason=pick.reason,
        title=pick.title,
        description=pick.description,
        hashtags=tuple(pick.hashtags),
    )
