"""Titles, descriptions and hashtags from a clip's words, weighed against the transcript."""

from __future__ import annotations

import re

from clipforge.detection.analysis import SentenceInfo, analyse, corpus_stats
from clipforge.detection.content import (
    DESCRIPTION_MAX_CHARS,
    TITLE_MAX_CHARS,
    generate,
    hashtags,
    keyphrases,
    shorten,
)
from clipforge.detection.sentences import split_sentences
from tests.unit.test_detection_fixtures import build

OTHER_TOPIC = [
    "Our guest today runs a small bakery in the old town.",
    "The bakery opens at six and sells out of bread by noon.",
    "She started the bakery after ten years in banking.",
]
CLIP = [
    "So why did we nearly go bankrupt while charging too little?",
    "For two years our pricing page asked nineteen dollars a month.",
    "Clinics signed up, but cheap pricing told them the product was a toy.",
    "When we raised the price to two hundred dollars, cancellations halved.",
    "Pricing is a signal, not just a number on the pricing page.",
]


def clip_and_corpus() -> tuple[list[SentenceInfo], list[SentenceInfo]]:
    everything = [analyse(s) for s in split_sentences(build(OTHER_TOPIC + CLIP))]
    return everything[len(OTHER_TOPIC) :], everything


def test_generate_fills_every_field_within_limits() -> None:
    run, everything = clip_and_corpus()
    made = generate(run, corpus_stats(everything))
    assert 0 < len(made.title) <= TITLE_MAX_CHARS
    assert 0 < len(made.description) <= DESCRIPTION_MAX_CHARS
    assert 3 <= len(made.hashtags) <= 5
    for tag in made.hashtags:
        assert re.fullmatch(r"#(?:[A-Z][a-z0-9]*)+", tag), tag


def test_title_is_a_whole_phrase_from_the_clip_without_a_linking_opener() -> None:
    run, everything = clip_and_corpus()
    title = generate(run, corpus_stats(everything)).title
    # The opening question is the hook; "So" only links to what came before.
    assert title == "Why did we nearly go bankrupt while charging too little?"


def test_hashtags_name_what_sets_the_clip_apart_from_the_show() -> None:
    run, everything = clip_and_corpus()
    tags = generate(run, corpus_stats(everything)).hashtags
    assert "#PricingPage" in tags or "#Pricing" in tags
    assert not any("Bakery" in t for t in tags)  # the rest of the show's topic
    lowered = [t.lower() for t in tags]
    assert len(set(lowered)) == len(lowered)


def test_keyphrases_break_at_stop_words_numbers_and_verbs() -> None:
    run, everything = clip_and_corpus()
    phrases = keyphrases(run, corpus_stats(everything))
    words = {p.words for p in phrases}
    assert ("pricing", "page") in words
    assert not any("two" in w or "the" in w for w in words)
    tags = hashtags(phrases)
    assert not any(t.endswith(("Told", "Signed", "Raised")) for t in tags)


def test_shorten_cuts_at_a_clause_break_and_never_ends_on_a_stop_word() -> None:
    long = (
        "And the most expensive mistake we ever made, by a long way, was hiring "
        "too fast in the year after our first big round of funding."
    )
    short = shorten(long, TITLE_MAX_CHARS)
    assert short == "The most expensive mistake we ever made, by a long way"
    unbroken = (
        "Forcing people to change their passwords every ninety days makes "
        "security measurably worse for everyone involved"
    )
    cut = shorten(unbroken, TITLE_MAX_CHARS)
    assert len(cut) <= TITLE_MAX_CHARS
    assert cut.split()[-1] not in {"the", "to", "makes", "their", "every"}
    assert shorten("Is this real?", TITLE_MAX_CHARS) == "Is this real?"
    assert shorten("It is real.", TITLE_MAX_CHARS) == "It is real"


def test_description_is_one_or_two_whole_sentences() -> None:
    run, everything = clip_and_corpus()
    description = generate(run, corpus_stats(everything)).description
    assert description.startswith("Why did we nearly go bankrupt")
    assert 1 <= len(re.findall(r"[.?!](?:\s|$)", description)) <= 2


def test_a_clip_with_few_content_words_still_gets_a_title() -> None:
    everything = [analyse(s) for s in split_sentences(build(["Yes.", "No way, really?"]))]
    made = generate(everything, corpus_stats(everything))
    assert made.title
    assert len(made.hashtags) <= 5
