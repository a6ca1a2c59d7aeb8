"""Word lists and normalisation shared by segmentation, scoring and content generation.

The general-purpose lists (stop words, fillers, contrast and number words) are the Phase 1
heuristic's, imported so both detectors agree on what a content word is. The lists added here
describe properties of short-form clips that hold for any spoken show: words that point back
to something said before, phrases of housekeeping and sponsorship, and the like.
"""

from __future__ import annotations

from functools import lru_cache

from clipforge.domain.clips import _CONTRAST as CLIPS_CONTRAST
from clipforge.domain.clips import _FILLERS as CLIPS_FILLERS
from clipforge.domain.clips import _NUMBER_WORDS as CLIPS_NUMBER_WORDS
from clipforge.domain.clips import _STOPWORDS as CLIPS_STOPWORDS
from clipforge.domain.text import tokens


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: frozenset[str] = CLIPS_STOPWORDS | _words(
    """isn't wasn't aren't weren't doesn't didn't haven't hasn't hadn't couldn't wouldn't
    shouldn't we'll they'll he's she's there's here's what's let's i'd you'd we'd they'd
    said say says like lot lots kind sort mean know think right yes sure maybe something
    anything everything someone anyone one ones us many much every even still back way
    actually pretty quite bit make made take took come came put see look want need go
    went goes done um uh mm hmm ok"""
)
FILLER_WORDS: frozenset[str] = CLIPS_FILLERS | _words("uhm um-hum mm-hmm hm")
CONTRAST_WORDS: frozenset[str] = CLIPS_CONTRAST | _words(
    "turns surprising surprisingly opposite counterintuitive despite whereas"
)
NUMBER_WORDS: frozenset[str] = CLIPS_NUMBER_WORDS

#: A first word that leans on something said before the clip (anaphora, discourse links).
DANGLING_OPENERS: frozenset[str] = _words(
    """and but so or because then also that this these those it it's that's this's he she
    they them him her his their its there which who whom whose anyway plus besides
    otherwise therefore thus hence likewise meanwhile same exactly right yeah yes no
    instead though although too again"""
)
#: Openings that refer back explicitly ("as I said", "like I mentioned").
BACK_REFERENCES: tuple[str, ...] = (
    "as i said",
    "as i mentioned",
    "like i said",
    "like i mentioned",
    "as we said",
    "as we discussed",
    "going back to",
    "to your point",
    "on that note",
    "building on that",
    "that's exactly",
    "that is exactly",
    "that's a great",
    "that's a good",
    "that's why",
    "which is why",
    "the same thing",
    "that one",
    "this one",
)
#: Openings that promise the listener something (question words, direct address, set-ups).
HOOK_OPENERS: frozenset[str] = _words(
    "why how what imagine here's stop never nobody everyone everybody most if picture"
)
HOOK_PHRASES: tuple[str, ...] = (
    "the secret",
    "the truth",
    "the problem",
    "the biggest",
    "the most",
    "the best",
    "the worst",
    "the one thing",
    "most people",
    "here is",
    "here's the",
    "here's what",
    "you need",
    "you have to",
    "you should",
    "if you",
    "let me tell you",
    "did you know",
    "the reason",
    "the mistake",
    "what if",
    "nobody tells you",
    "i used to",
    "i never",
    "we found",
    "i learned",
)
#: Words of strong claims and stakes: superlatives, absolutes, emotion.
INTENSITY_WORDS: frozenset[str] = _words(
    """biggest best worst most least always never every nobody everyone everything nothing
    huge massive crazy insane incredible amazing terrible shocking surprising secret truth
    mistake mistakes wrong myth lie fail failed failure success dangerous critical
    important changed change life killer brutal honestly love hate fear afraid impossible"""
)
#: Markers of a conclusion or punchline, which make a good last sentence.
PAYOFF_PHRASES: tuple[str, ...] = (
    "that's why",
    "that is why",
    "which is why",
    "the lesson",
    "the point is",
    "the takeaway",
    "bottom line",
    "in the end",
    "at the end of the day",
    "turns out",
    "it turned out",
    "the answer is",
    "the result",
    "so the",
    "and that's",
    "that's how",
    "that is how",
    "that's what",
    "which means",
    "so if you",
    "so next time",
    "remember",
    "never again",
    "ever since",
    "changed everything",
    "in other words",
    "in short",
    "the key",
    "the trick",
    "the secret",
)
#: Phrases of the parts of a show nobody clips: greetings and sign-offs, housekeeping,
#: sponsor reads, calls to subscribe. Matched on the lower-cased token text.
FILLER_PHRASES: dict[str, tuple[str, ...]] = {
    "greeting": (
        "welcome to",
        "welcome back",
        "hello everyone",
        "hi everyone",
        "hey everyone",
        "hello and welcome",
        "thanks for having me",
        "thank you for having me",
        "thanks for joining",
        "thank you for joining",
        "great to be here",
        "good to be here",
        "glad to be here",
        "good to have you",
        "great to have you",
        "thanks for listening",
        "thank you for listening",
        "thanks for watching",
        "thank you for watching",
        "see you next time",
        "see you next week",
        "until next time",
        "that's all for today",
        "that's it for today",
        "that's our show",
        "take care",
        "bye everyone",
        "goodbye",
        "my name is",
        "i'm your host",
        "today on the show",
        "on today's episode",
        "in this episode",
        "my guest today",
        "joining me today",
        "our guest",
    ),
    "housekeeping": (
        "before we start",
        "before we get started",
        "before we begin",
        "before we dive in",
        "quick reminder",
        "a quick note",
        "show notes",
        "in the description",
        "link below",
        "links below",
        "link in the",
        "can you hear me",
        "is this on",
        "my microphone",
        "my mic",
        "the audio",
        "share my screen",
        "let me check",
        "let's get started",
        "let's get into it",
        "let's dive in",
        "let's jump in",
        "let's move on",
        "moving on",
        "next question",
        "where was i",
        "we'll be right back",
        "after the break",
        "we're back",
        "schedule",
        "next episode",
        "last episode",
        "previous episode",
        "upcoming episode",
        "live stream",
        "newsletter",
        "website",
        "housekeeping",
        "announcement",
        "technical difficulties",
    ),
    "sponsor": (
        "sponsor",
        "sponsored",
        "sponsors",
        "brought to you by",
        "promo code",
        "use code",
        "discount code",
        "percent off",
        "% off",
        "free trial",
        "special offer",
        "check out",
        "sign up",
        "dot com",
        "our partner",
        "partnered with",
        "affiliate",
        "limited time",
    ),
    "subscribe": (
        "subscribe",
        "subscribed",
        "hit the bell",
        "notification bell",
        "like and",
        "smash that",
        "leave a review",
        "leave a comment",
        "rate and review",
        "five stars",
        "five star",
        "patreon",
        "support the show",
        "share this episode",
        "follow us",
        "follow me",
    ),
}
#: Hesitation phrases (beyond single filler words) that mark rambling.
HESITATION_PHRASES: tuple[str, ...] = (
    "you know",
    "i mean",
    "kind of",
    "sort of",
    "i guess",
    "or something",
    "or whatever",
    "and stuff",
    "where was i",
    "what was i saying",
    "let me think",
    "how do i put",
    "i don't know",
    "i forget",
    "whatever it was",
    "anyway",
    "lost my train",
    "where was i going",
)
#: Back-channel turns of a conversation ("yeah", "right", "mm-hmm"), a sign of cross-talk.
BACKCHANNEL_WORDS: frozenset[str] = _words(
    """yeah yes yep yup right sure okay ok mhm mm hmm uh-huh exactly totally absolutely
    wow oh ah no nope sorry go ahead true really interesting cool nice haha"""
)

_SUFFIXES = (
    "ational",
    "fulness",
    "iveness",
    "ization",
    "ations",
    "nesses",
    "ments",
    "ation",
    "ness",
    "ment",
    "ings",
    "ing",
    "edly",
    "ies",
    "ied",
    "ers",
    "ed",
    "er",
    "ly",
    "es",
    "s",
)


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light English stemmer: strip one common suffix, keeping a stem of 3+ letters.

    Enough for lexical cohesion ("investing", "invests", "invested" -> "invest"); a
    full Porter stemmer buys little here and costs speed on hour-long transcripts.
    """
    word = token.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if suffix == "s" and base.endswith(("s", "u", "i")):
                return word  # "glass", "bonus", "analysis" are not plurals
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "stopped" -> "stop"
            return base
    return word


def is_content(token: str) -> bool:
    """A word that carries meaning: not a stop word, filler or bare number."""
    return len(token) > 2 and token not in STOPWORDS and token not in FILLER_WORDS


def is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or token in NUMBER_WORDS


def content_stems(text: str) -> list[str]:
    """Stems of the content words of `text`, in order (repeats kept)."""
    return [stem(t) for t in tokens(text) if is_content(t) and not t.isdigit()]


def phrase_hits(normalised: str, phrases: tuple[str, ...]) -> int:
    """How many of `phrases` occur in `normalised` (space-joined tokens, padded with spaces)."""
    return sum(1 for p in phrases if (f" {p} " if p[0].isalnum() else p) in normalised)


def normalise(text: str) -> str:
    """Lower-case tokens joined by single spaces and padded, for whole-phrase matching."""
    return " " + " ".join(tokens(text)) + " "
