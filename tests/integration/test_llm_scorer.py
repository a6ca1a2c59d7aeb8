"""LLMScorer against a local server replaying recorded chat completions: the happy path,
what the client sends, and every way the endpoint can fail (each falls back to local clips)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection.llm import LLMScorer
from clipforge.detection.sentences import Sentence, split_sentences
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Segment, Transcript, Word
from tests.support.replay_server import RecordedRequest, ReplayServer, Reply

#: A 5-minute talk, one sentence every 5 s (4.6 s of speech, 0.4 s pause): 60 sentences.
#: The recorded replies below number their moments against exactly these sentences.
TALK = [
    "Hi everyone, thanks for having me today.",
    "I want to talk about how we learn, and why most of us do it wrong.",
    "Why do we forget seventy percent of a lecture within a single day?",
    "That number comes from Hermann Ebbinghaus, who tested his own memory in the 1880s.",
    "He learned lists of nonsense syllables and checked how many he still knew.",
    "The curve he drew has been replicated again and again for over a century.",
    "Here is the part nobody tells you in school.",
    "Rereading your notes feels productive, but it barely moves that curve.",
    "What moves it is trying to recall the material before you look at it.",
    "Psychologists call this retrieval practice, and the effect is huge.",
    "In one study, students who tested themselves remembered fifty percent more a week later.",
    "So let me show you how I use it.",
    "Um, first, I close the book.",
    "Then I write down everything I can remember on a blank page.",
    "Only after that do I open the book and check what I missed.",
    "The gaps are exactly what I study next.",
    "It feels slower, and that is the point.",
    "Okay, let's move on to the second idea.",
    "Spacing is the other half of the story.",
    "If you cram for six hours the night before, you will pass the exam and forget it all.",
    "Imagine you had the same six hours spread over two weeks.",
    "You would remember most of it a year later.",
    "The reason is that forgetting a little between sessions makes the next recall harder.",
    "And harder recall builds a stronger memory.",
    "Researchers call these desirable difficulties.",
    "I schedule reviews after one day, three days, a week and a month.",
    "An app can do that for you, but a paper calendar works just as well.",
    "So those are the two tools.",
    "Let me tell you how I found out about them.",
    "In my second year of medical school I failed pharmacology.",
    "I had spent more hours on it than on any other subject.",
    "My tutor asked me one question: how often did you test yourself?",
    "The answer was never.",
    "I had highlighted the entire textbook in three colours.",
    "The next term I switched to blank pages and spaced reviews.",
    "I passed with the highest mark in my year.",
    "Most people think talent decides how fast you learn.",
    "It does not, at least not nearly as much as method.",
    "Two students with the same brain and the same hours can end up a grade apart.",
    "The difference is whether they make their memory work or just keep it company.",
    "Here's the mistake I see most often with the people I coach.",
    "They mistake familiarity for knowledge.",
    "When a page looks familiar, your brain tells you that you know it.",
    "But recognising an answer and producing it are different skills.",
    "The exam, and real life, only ask for the second one.",
    "So, a few practical tips to finish.",
    "Keep your sessions short, twenty five minutes is plenty.",
    "Mix different topics in one session instead of doing one block at a time.",
    "Explain the idea out loud as if to a twelve year old.",
    "If you get stuck, that is where your understanding ends.",
    "Sleep after studying, because memories are consolidated at night.",
    "Pulling an all-nighter throws away much of what you just learned.",
    "Exercise helps too, even a ten minute walk before a session.",
    "None of this needs expensive software or special talent.",
    "It needs a blank page, a calendar and a little patience.",
    "Try it for one subject for two weeks.",
    "Then compare it with how you studied before.",
    "I think you will be surprised.",
    "Thank you very much.",
    "I'm happy to take questions.",
]
SLOT_SECONDS = 5.0
SPOKEN_SECONDS = 4.6
CHAT = "/v1/chat/completions"
MODEL = "llama3.1-test"
KEY = "sk-test-123"
OPTIONS = DetectOptions(min_seconds=15, max_seconds=60, count=3)
WINDOWS = 4  # 0-90 s, 75-165 s, 150-240 s, 225-300 s
LOGGER = "clipforge.detection.llm"


def make_talk() -> Transcript:
    segments: list[Segment] = []
    for k, sentence in enumerate(TALK):
        tokens = sentence.split()
        step = SPOKEN_SECONDS / len(tokens)
        base = k * SLOT_SECONDS
        words = [
            Word(" " + tok, round(base + i * step, 3), round(base + (i + 0.8) * step, 3), 0.9)
            for i, tok in enumerate(tokens)
        ]
        last = words[-1]
        words[-1] = Word(last.text, last.start, round(base + SPOKEN_SECONDS, 3), 0.9)
        segments.append(Segment(" " + sentence, words[0].start, words[-1].end, tuple(words)))
    return Transcript(language="en", duration=len(TALK) * SLOT_SECONDS, segments=tuple(segments))


TRANSCRIPT = make_talk()
SENTENCES = split_sentences(TRANSCRIPT)


def local(first: int, last: int, title: str, score: int) -> ClipCandidate:
    """A candidate as the local detector would give it: whole sentences, padded edges."""
    run: list[Sentence] = SENTENCES[first : last + 1]
    return ClipCandidate(
        start=round(run[0].start - 0.15, 3),
        end=round(run[-1].end + 0.15, 3),
        score=score,
        breakdown={"hook": score // 4, "flow": score // 4, "value": score // 4, "engagement": 0},
        title=title,
        reason=f"Local reason {first}-{last}",
        text=" ".join(s.text for s in run),
        description=f"Local description {first}-{last}",
        hashtags=("#local",),
    )


# Sentences 6-10 (the model's best moment), the pharmacology story, and the closing tips.
LOCAL = [
    local(6, 10, "Here is the part nobody tells you in school", 70),
    local(29, 35, "In my second year of medical school I failed", 66),
    local(45, 49, "A few practical tips to finish", 58),
]


def windows_ok() -> list[Reply]:
    return [Reply.recorded(f"llm_moments_window{n}.json") for n in range(1, WINDOWS + 1)]


def html(name: str, status: int) -> Reply:
    return Reply(status, Reply.recorded(name).body, "text/html")


@dataclass
class Harness:
    server: ReplayServer

    def scorer(self, timeout: float = 5.0) -> LLMScorer:
        return LLMScorer(self.server.url + "/v1", MODEL, api_key=KEY, timeout_seconds=timeout)

    @property
    def sent(self) -> list[RecordedRequest]:
        return self.server.requests

    def prompt(self, n: int) -> str:
        messages = self.sent[n].json()["messages"]
        assert [m["role"] for m in messages] == ["system", "user"]
        return str(messages[1]["content"])


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    # One server for the module: stopping one waits out its 0.5 s poll, per test otherwise.
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def harness(server: ReplayServer) -> Harness:
    server.routes.clear()
    server.requests.clear()
    return Harness(server)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= 30]


def overlaps(a: ClipCandidate, b: ClipCandidate) -> bool:
    return a.start < b.end and b.start < a.end


def assert_clean_clips(clips: list[ClipCandidate]) -> None:
    """Whole sentences, word edges never cut, padded into the gaps, within the duration range."""
    words = TRANSCRIPT.words
    for clip in clips:
        assert OPTIONS.min_seconds <= clip.duration <= OPTIONS.max_seconds, clip
        inside = [w for w in words if w.start >= clip.start and w.end <= clip.end]
        assert inside
        assert inside[0].text.strip()[0].isupper(), "starts on a sentence's first word"
        assert inside[-1].text.strip()[-1] in ".?!", "ends on a sentence's last word"
        # Padded, but only into the pause between sentences.
        assert 0 < inside[0].start - clip.start <= SLOT_SECONDS - SPOKEN_SECONDS
        assert 0 < clip.end - inside[-1].end <= SLOT_SECONDS - SPOKEN_SECONDS
        for w in words:
            assert not w.start < clip.start < w.end and not w.start < clip.end < w.end
    for i, a in enumerate(clips):
        assert not any(overlaps(a, b) for b in clips[i + 1 :])


# --- the happy path -------------------------------------------------------------------------


def test_two_passes_choose_score_and_title_clips(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick.json"))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        clips = harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)

    assert warnings(caplog) == []
    assert len(harness.sent) == WINDOWS + 1
    assert [c.title for c in clips] == [
        "Rereading your notes is wasting your time",
        "I failed pharmacology. Then my tutor asked one question",
        "Talent matters less than you think",
    ]
    assert [c.score for c in clips] == [91, 84, 77]
    first, story, talent = clips
    # The model's moment (sentences 6-10), snapped to word edges with padding.
    assert first.text.startswith("Here is the part nobody tells you in school.")
    assert first.text.endswith("fifty percent more a week later.")
    assert first.breakdown == {"hook": 24, "flow": 22, "value": 24, "shareability": 21}
    assert first.reason.startswith('Opens on "Here is the part nobody tells you in school"')
    assert first.hashtags == ("#studytips", "#learning", "#memory", "#retrievalpractice")
    assert first.description.startswith("Why testing yourself beats rereading")
    # A local candidate the model picked: local edges, the model's score, reason and copy.
    assert (story.start, story.end) == (LOCAL[1].start, LOCAL[1].end)
    assert story.reason.startswith("A personal failure")
    assert story.breakdown["shareability"] == 21
    assert story.hashtags == ("#medschool", "#studytips", "#storytime")
    assert talent.text.startswith("Most people think talent")
    assert talent.text.endswith("They mistake familiarity for knowledge.")
    assert_clean_clips(clips)


def test_what_the_client_sends(harness: Harness) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick.json"))
    harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)

    assert len(harness.sent) == WINDOWS + 1
    for request in harness.sent:
        assert request.method == "POST" and request.path == CHAT
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        body = request.json()
        assert body["model"] == MODEL
        assert body["response_format"] == {"type": "json_object"}
        assert body["stream"] is False
    window_prompts = [harness.prompt(n) for n in range(WINDOWS)]
    # Every sentence is sent, numbered, in a window; neighbouring windows share a little.
    for n, sentence in enumerate(TALK):
        holders = [p for p in window_prompts if f"[{n}] " in p and sentence in p]
        assert holders, f"sentence {n} was never sent"
    assert "[0] 0:00 Hi everyone, thanks for having me today." in window_prompts[0]
    assert TALK[20] not in window_prompts[0]
    assert TALK[16] in window_prompts[0] and TALK[16] in window_prompts[1]
    assert "15 to 60 seconds" in window_prompts[0]
    system = harness.sent[0].json()["messages"][0]["content"]
    assert "first two seconds" in system and "stranger" in system
    # JSON mode on OpenAI requires the word in the messages.
    assert all("JSON" in r.json()["messages"][0]["content"] for r in harness.sent)
    # Pass 2 lists the model's moments and the local candidates that overlap none of them.
    pick = harness.prompt(WINDOWS)
    assert "Pick the best 3 of these 7" in pick
    assert "Candidate 1 (0:29-0:54, 25 s):\nHere is the part nobody tells you in school." in pick
    assert "Candidate 6" in pick and TALK[29] in pick
    assert "Candidate 8" not in pick
    assert "title" in harness.sent[WINDOWS].json()["messages"][0]["content"]


def test_no_api_key_sends_no_authorization(harness: Harness) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick.json"))
    LLMScorer(harness.server.url + "/v1", MODEL).refine(TRANSCRIPT, LOCAL, OPTIONS)
    assert all("Authorization" not in r.headers for r in harness.sent)


def test_keywords_and_search_range_shape_the_prompt(harness: Harness) -> None:
    harness.server.add("POST", CHAT, Reply.json({"choices": []}))
    options = DetectOptions(
        min_seconds=15, max_seconds=60, count=2, keywords=("memory",), search_end=80
    )
    assert harness.scorer().refine(TRANSCRIPT, LOCAL, options) == LOCAL
    assert len(harness.sent) == 1  # 80 s of speech fits one window
    prompt = harness.prompt(0)
    assert "Favour moments about: memory." in prompt
    assert TALK[15] in prompt and TALK[16] not in prompt  # sentence 16 ends after 80 s


# --- failures -------------------------------------------------------------------------------


def refused_url() -> str:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_connection_refused_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    scorer = LLMScorer(refused_url(), MODEL, timeout_seconds=2)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert scorer.refine(TRANSCRIPT, LOCAL, OPTIONS) is LOCAL
    [warning] = warnings(caplog)
    assert "ConnectError" in warning and "using the local clips" in warning


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.recorded("llm_error_500.json", status=500), "HTTP 500: "),
        (Reply.recorded("llm_error_401.json", status=401), "HTTP 401: "),
        (html("llm_bad_gateway.html", 502), "HTTP 502: <html>"),
        (html("llm_bad_gateway.html", 200), "not a chat completion (text/html)"),
        (Reply.recorded("llm_prose.json"), "did not answer in JSON: 'Sure! Here are"),
        (Reply.recorded("llm_wrong_shape.json"), "expected 'moments' to be a list"),
        (Reply.recorded("llm_out_of_range.json"), "no usable moments"),
        (Reply.json({"choices": [{"message": {"content": '{"moments": [{"first": 6,'}}]}), "JSON"),
        (Reply.json({"choices": [{"message": {"content": None}}]}), "no text content"),
    ],
    ids=[
        "500",
        "401",
        "502-html",
        "200-html",
        "prose",
        "wrong-shape",
        "out-of-range",
        "cut",
        "null",
    ],
)
def test_bad_answers_fall_back_with_one_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture, reply: Reply, reason: str
) -> None:
    harness.server.add("POST", CHAT, reply)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS) is LOCAL
    [warning] = warnings(caplog)
    assert reason in warning, warning
    assert "using the local clips" in warning


def test_failing_endpoint_is_not_asked_for_every_window(harness: Harness) -> None:
    harness.server.add("POST", CHAT, Reply.recorded("llm_error_500.json", status=500))
    harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)
    assert len(harness.sent) == 2  # two failures in a row: the rest are not sent


def test_slow_reply_times_out_and_falls_back(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    slow = Reply(200, Reply.recorded("llm_moments_window1.json").body, delay_seconds=3)
    harness.server.add("POST", CHAT, slow)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert harness.scorer(timeout=0.2).refine(TRANSCRIPT, LOCAL, OPTIONS) is LOCAL
    [warning] = warnings(caplog)
    assert "no answer within 0.2 s" in warning


def test_one_failed_window_keeps_the_others(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    ok = windows_ok()
    failed = Reply.recorded("llm_error_500.json", status=500)
    # Without window 2 the pool is: 1 = sentences 6-10, 2 = 36-41, 3 = 2-5, 4 = 50-58, then
    # the local candidates that overlap none of them (29-35, 45-49).
    pick = Reply.json(
        completion(
            '{"clips": [{"candidate": 2, "score": 80, "breakdown": {"hook": 20, "flow": 20,'
            ' "value": 20, "shareability": 20}, "reason": "\\"Most people think talent\\"",'
            ' "title": "Talent is overrated", "description": "Method wins.",'
            ' "hashtags": ["#learning", "#study", "#talent"]}]}'
        )
    )
    harness.server.add("POST", CHAT, ok[0], failed, ok[2], ok[3], pick)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        clips = harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)
    [warning] = warnings(caplog)
    assert "1 of 4 windows failed" in warning and "window 2: HTTP 500" in warning
    assert len(harness.sent) == WINDOWS + 1
    assert "Candidate 5" in harness.prompt(WINDOWS) and TALK[29] in harness.prompt(WINDOWS)
    # The pick comes first; the rest is topped up from the model's remaining moments.
    assert clips[0].title == "Talent is overrated" and clips[0].score == 80
    assert clips[1].score == 88 and clips[1].title == LOCAL[0].title  # sentences 6-10
    assert clips[2].score == 61 and clips[2].text.startswith(TALK[2])  # 2-3 grown to 2-5
    assert clips[2].title == "Why do we forget seventy percent of a lecture within a…"
    assert len(clips[2].title) <= 60
    assert_clean_clips(clips)


def completion(content: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1764383431,
        "model": "llama3.1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


@pytest.mark.parametrize(
    ("pick", "reason"),
    [
        (Reply.recorded("llm_error_500.json", status=500), "HTTP 500"),
        (Reply.recorded("llm_pick_empty.json"), "no valid picks"),
        (Reply.recorded("llm_prose.json"), "did not answer in JSON"),
    ],
    ids=["500", "empty", "prose"],
)
def test_failed_title_pass_keeps_model_scores_and_local_titles(
    harness: Harness, caplog: pytest.LogCaptureFixture, pick: Reply, reason: str
) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), pick)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        clips = harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)
    [warning] = warnings(caplog)
    assert reason in warning and "local titles" in warning
    assert [c.score for c in clips] == [88, 79, 72]
    assert [c.reason[:12] for c in clips] == ['Opens with "', '"Imagine you', '"Most people']
    # Sentences 6-10 match a local candidate: its title, description and hashtags.
    assert clips[0].title == LOCAL[0].title
    assert clips[0].description == LOCAL[0].description and clips[0].hashtags == ("#local",)
    # The others match none: a title from their opening sentence.
    assert clips[1].title == "Imagine you had the same six hours spread over two weeks"
    assert clips[2].title == "Most people think talent decides how fast you learn"
    assert clips[1].hashtags == ()
    assert_clean_clips(clips)


def test_messy_picks_are_normalised_or_dropped(harness: Harness) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick_messy.json"))
    clips = harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS)
    first = clips[0]
    assert first.score == 90  # 90.4 rounded
    assert first.title == "Rereading your notes feels productive, but it barely moves…"
    assert len(first.title) <= 60
    assert (
        first.reason
        == 'Opens on "Here is the part nobody tells you in school" and pays off with a study'
    )
    assert first.description == "Why testing yourself beats rereading."
    assert first.hashtags == ("#studytips", "#learning", "#memory", "#RetrievalPractice", "#exams")
    # Candidate 12 (no such candidate), a score of "high" and a repeat are dropped; the rest
    # is topped up from the model's moments with local titles.
    assert [c.score for c in clips] == [90, 79, 72]
    assert "Nope" not in [c.title for c in clips] and "Again" not in [c.title for c in clips]
    assert_clean_clips(clips)


def test_nothing_to_send_asks_nothing(harness: Harness) -> None:
    empty = Transcript(language="en", duration=10, segments=())
    assert harness.scorer().refine(empty, [], OPTIONS) == []
    assert harness.sent == []


def test_refines_the_local_detector(harness: Harness) -> None:
    """With the real local detector's candidates: still clean clips, or exactly its own."""
    local = detect_highlights(TRANSCRIPT, OPTIONS)
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick.json"))
    clips = harness.scorer().refine(TRANSCRIPT, local, OPTIONS)
    assert len(clips) == OPTIONS.count
    assert clips[0].title == "Rereading your notes is wasting your time"
    assert_clean_clips(clips)

    harness.server.routes.clear()
    harness.server.add("POST", CHAT, Reply.recorded("llm_error_500.json", status=500))
    assert harness.scorer().refine(TRANSCRIPT, local, OPTIONS) is local


def test_fewer_picks_than_asked_are_topped_up(harness: Harness) -> None:
    harness.server.add("POST", CHAT, *windows_ok(), Reply.recorded("llm_pick.json"))
    options = DetectOptions(min_seconds=15, max_seconds=60, count=10)
    clips = harness.scorer().refine(TRANSCRIPT, LOCAL, options)
    assert "Pick the best 7 of these 7" in harness.prompt(WINDOWS)
    # The three picks, then the model's other moments, then the local clip overlapping none.
    assert [c.score for c in clips] == [91, 84, 77, 79, 61, 55, 58]
    assert clips[-1].title == LOCAL[2].title and clips[-1].reason == LOCAL[2].reason
    assert_clean_clips(clips)


def test_an_unexpected_error_still_falls_back(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(transcript: Transcript) -> list[Sentence]:
        raise RuntimeError("boom")

    monkeypatch.setattr("clipforge.detection.llm.split_sentences", broken)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert harness.scorer().refine(TRANSCRIPT, LOCAL, OPTIONS) is LOCAL
    [warning] = warnings(caplog)
    assert "boom" in warning


def test_padding_stays_inside_the_search_range(harness: Harness) -> None:
    # Sentence 6 starts at 30.0 s; the word before it ends at 29.6 s, so it would pad to 29.85.
    options = DetectOptions(min_seconds=15, max_seconds=60, count=1, search_start=29.95)
    moments = '{"moments": [{"first": 0, "last": 4, "score": 80, "breakdown": {"hook": 20,'
    moments += ' "flow": 20, "value": 20, "shareability": 20}, "reason": "\\"Here is\\""}]}'
    harness.server.add("POST", CHAT, Reply.json(completion(moments)))
    [clip] = harness.scorer().refine(TRANSCRIPT, LOCAL, options)
    assert "[0] 0:30 Here is the part nobody tells you in school." in harness.prompt(0)
    assert clip.text.startswith(TALK[6]) and clip.text.endswith(TALK[10])
    assert (clip.start, clip.score) == (29.95, 80)
