"""Each named clip feature on its own: what raises it, what lowers it, and its bounds."""

from __future__ import annotations

import pytest

from clipforge.detection import features as ft
from clipforge.detection.analysis import (
    ECHO_MAX_TOKENS,
    SentenceInfo,
    analyse,
    corpus_stats,
    filler_weight,
    is_reaction,
    opens_turn,
    repeats_close,
)
from clipforge.detection.energy import NEUTRAL, LoudnessProfile, speech_energy
from clipforge.detection.lexicon import stem
from clipforge.detection.sentences import split_sentences
from tests.unit.test_detection_fixtures import build


def info(text: str) -> SentenceInfo:
    (sentence,) = split_sentences(build([text]))
    return analyse(sentence)


def infos(texts: list[str], gaps: dict[int, float] | None = None) -> list[SentenceInfo]:
    return [analyse(s) for s in split_sentences(build(texts, gaps=gaps))]


# --- hook ---------------------------------------------------------------------------------


def test_hook_rewards_questions_promises_numbers_and_bold_claims() -> None:
    plain = ft.hook_strength(info("We went to the shop on the corner this morning."))
    question = ft.hook_strength(info("Why do most new restaurants close within a year?"))
    promise = ft.hook_strength(info("Here's the mistake that cost us 40 thousand dollars."))
    assert question > plain + 0.3
    assert promise > plain + 0.3
    assert 0.0 <= plain <= 1.0 and question <= 1.0 and promise <= 1.0


def test_hook_is_low_for_filler_and_tiny_openers() -> None:
    assert ft.hook_strength(info("Welcome back to the show, everyone.")) < 0.1
    assert ft.hook_strength(info("Okay.")) == 0.0


# --- self-containedness -------------------------------------------------------------------


@pytest.mark.parametrize(
    "opener",
    [
        "And then we moved the whole team to Lisbon.",
        "So the plan failed within a week.",
        "But nobody checked the numbers.",
        "That was the moment we knew.",
        "He never answered the email.",
        "It broke again the next morning.",
        "Yeah, exactly what happened to us.",
        "As I said, the budget was tiny.",
    ],
)
def test_dangling_openers_are_not_self_contained(opener: str) -> None:
    assert ft.self_containedness(info(opener), None) <= 0.6


def test_a_fresh_statement_is_self_contained() -> None:
    assert ft.self_containedness(info("Most startups die from indigestion, not starvation."), None)
    assert ft.self_containedness(info("Our team tested four pricing pages."), None) == 1.0


def test_starting_after_a_sentence_cut_by_a_pause_is_not_self_contained() -> None:
    # The previous "sentence" has no terminal punctuation: the clip would start mid-sentence.
    prev, first = infos(["we were talking about", "Pricing pages matter a lot."], gaps={0: 2.5})
    assert not prev.complete
    assert ft.self_containedness(first, prev) == 0.5
    assert ft.self_containedness(first, None) == 1.0


# --- payoff -------------------------------------------------------------------------------


def test_payoff_rewards_a_conclusion_and_punishes_a_dangling_end() -> None:
    conclusion = info("That's why the price is a signal, not a number.")
    plain = info("We had coffee in the garden.")
    question = info("What would you have done?")
    assert ft.payoff(conclusion, None) > ft.payoff(plain, None) > ft.payoff(question, None)


def test_payoff_drops_when_the_next_sentence_carries_the_thought_on() -> None:
    last, following = infos(["The test failed twice.", "And then the server caught fire."])
    assert ft.payoff(last, following) < ft.payoff(last, None)


def test_payoff_drops_when_the_clip_ends_on_a_one_line_reply_to_a_question() -> None:
    question, reply = infos(["What keyboard are you using?", "It sounds very loud."])
    assert ft.payoff(reply, None, question) < ft.payoff(reply, None, None)


# --- window features ----------------------------------------------------------------------


def test_information_density_prefers_specific_words_over_small_talk() -> None:
    run = infos(
        [
            "Well, you know, it was, like, really nice and all.",
            "Well, you know, it was, like, really good and all.",
            "Penicillin emerged when Fleming noticed mould killing staphylococcus cultures.",
        ]
    )
    corpus = corpus_stats(run)
    chatter = ft.information_density(ft.WindowStats.of(run[:2], corpus), corpus)
    dense = ft.information_density(ft.WindowStats.of(run[2:], corpus), corpus)
    assert dense > chatter
    assert 0.0 <= chatter <= 1.0 and 0.0 <= dense <= 1.0


def test_engagement_counts_questions_numbers_and_contrast() -> None:
    flat = infos(["We walked to the shop and then we walked home again."] * 3)
    lively = infos(
        [
            "Why do 90 percent of diets fail?",
            "Most people think it is willpower, but actually it is sleep.",
            "Three nights of bad sleep doubled cravings!",
        ]
    )
    corpus = corpus_stats(flat + lively)
    assert ft.engagement(ft.WindowStats.of(flat, corpus)) == 0.0
    assert ft.engagement(ft.WindowStats.of(lively, corpus)) > 0.5


def test_insight_finds_takeaways_and_not_routine() -> None:
    routine = infos(
        [
            "I usually get in around half past seven.",
            "Then it is clinic all morning and paperwork after lunch.",
        ]
    )
    pointed = infos(
        [
            "Most people think stretching prevents injury.",
            "Ask your physio for a proper warm-up instead.",
        ]
    )
    corpus = corpus_stats(routine + pointed)
    assert [i.insight for i in routine] == [False, False]
    assert [i.insight for i in pointed] == [True, True]  # a reversal, then advice
    assert ft.insight(ft.WindowStats.of(routine, corpus)) == 0.0
    assert ft.insight(ft.WindowStats.of(pointed, corpus)) == 1.0
    assert not info("Ask me anything?").insight  # a question is not advice


def test_pace_is_half_at_the_median_and_higher_when_brisker() -> None:
    run = infos(["One two three four five six.", "Seven eight nine ten eleven twelve."])
    corpus = corpus_stats(run)
    assert ft.pace(ft.WindowStats.of(run, corpus), corpus) == pytest.approx(0.5, abs=0.05)
    brisk = ft.WindowStats.of(run, corpus)
    brisk.words *= 2
    assert ft.pace(brisk, corpus) == 1.0


def test_dead_air_counts_long_silences_inside_the_window() -> None:
    tight = infos(["First point here.", "Second point here."])
    gappy = infos(["First point here.", "Second point here."], gaps={0: 4.0})
    corpus = corpus_stats(tight)
    assert ft.dead_air(ft.WindowStats.of(tight, corpus)) == 1.0
    assert ft.dead_air(ft.WindowStats.of(gappy, corpus)) < 1.0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hey everyone, welcome back to the show.", "greeting"),
        ("Thanks so much for having me.", "greeting"),
        ("Before we start, the links are in the show notes.", "housekeeping"),
        ("Can you hear me okay?", "housekeeping"),
        ("Sorry, can you still hear me?", "housekeeping"),
        ("Yes, I can hear you.", "housekeeping"),
        ("Okay, quick housekeeping: we're doing a listening party next month.", "notice"),
        ("I think I'll leave credit cards for another episode.", "housekeeping"),
        ("Let me just check the time, we've got a few minutes.", "housekeeping"),
        ("Okay, we're rolling. So, tell me about your worst night on call.", "housekeeping"),
        ("And before we wrap up, one last question.", "greeting"),
        ("This episode is brought to you by Ledgerly, use code SHOW for 20% off.", "sponsor"),
        ("Please subscribe and leave a review.", "subscribe"),
        ("A correction from two episodes back.", "correction"),
        ("Can I correct myself from the last time I was on?", "correction"),
        ("Last month I said the waltz came out of Vienna.", "correction"),
        ("Before I go, a plug for a friend.", "promotion"),
        ("A bit of housekeeping as well.", "notice"),
        ("A bit of news first.", "notice"),
        ("Tickets are on sale now at the box office.", "promotion"),
        ("A short tangent before we go on.", "notice"),
        ("So, to sum up tonight: the roof, the feed and the long way home.", "recap"),
        ("Anyway, a quick recap for anyone who joined late.", "recap"),
        ("Let me sum up.", "recap"),
        ("If you have a question for us, email us and we'll read it out.", "housekeeping"),
        ("Sorry, it'll come back to me.", "housekeeping"),
        ("So, to gather it all up before we go.", "recap"),
        ("Let us pull it together.", "recap"),
        ("The Night Shift is brought to you this month by Harbour Torches.", "sponsor"),
        ("Dockside Radio is made possible this week by Fenwick Print.", "sponsor"),
        ("Find them at wayfarerflasks.com before Friday.", "sponsor"),
        ("Go to hedgerow pies dot co dot uk for the rest.", "sponsor"),
        ("A little notice about the Saturday rota.", "notice"),
        ("Sorry, can I jump in with something from last week?", "housekeeping"),
        ("So let's just jump in.", "housekeeping"),
        ("I feel personally attacked, but go on.", "housekeeping"),
        ("Follow us on the socials for the outtakes.", "subscribe"),
        ("First, notices: the fixtures are on the board.", "notice"),
        ("That is all for this week, so let me run back over it.", "recap"),
        ("Quick round, one word each.", "round"),
        ("Lightning round for both of you.", "round"),
        ("A fast round of your questions from the comments.", "housekeeping"),
        ("Um, so, uh, I mean, you know, it was, uh, kind of a thing.", "rambling"),
        ("Yeah, right.", "cross-talk"),
    ],
)
def test_filler_kinds_are_recognised(text: str, kind: str) -> None:
    weight, found = filler_weight(text)
    assert found == kind
    assert weight >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "We raised the price to two hundred dollars and churn fell by half.",
        "You know the feeling when a word is on the tip of your tongue.",
        "I mean it when I say the list of tasks matters.",
        "The first dictionary was written in 1755 and took nine years.",
        # Hearing that is not a check of the line.
        "You replay every laugh on the motorway with nobody to hear you rehearse.",
        "Let the neighbours hear us sing.",
        # A tangent in geometry, and comments that are not a show's.
        "The ball leaves the rim along a tangent to the hoop.",
        "Her comments on my first draft changed how I write.",
        # A delivery round and a round of drinks are not a show's quick round.
        "The postman finishes his round before the school run.",
        "He bought a round for the whole crew after the rescue.",
        # Rounding up and bringing together that are not a show's recap; a possible that
        # is not a sponsor's.
        "We had to round up the sheep before the storm broke.",
        "The wedding brought the whole family together for a photograph.",
        "It was made possible by ten years of saving.",
        # A price in a story is not a sponsor's offer.
        "Dad put a box of the bruised pears at the front, half price, for crumble.",
        # People writing or coming back in a story, not asked to.
        "Half the families still write to me every spring.",
        "A pupil came back to me a month after her test with one more question.",
        # Going on and jumping in that hand no turn over; following that is no subscription.
        "That's why I never jump in, not ever, however warm the day feels.",
        "Pain nobody notices can go on for years.",
        "The real work happens before I go on air.",
        "She asked if she could follow me in, and I said yes.",
        "Nobody notices the first frost until it is gone.",
    ],
)
def test_content_is_not_filler(text: str) -> None:
    assert filler_weight(text) == (0.0, "")


@pytest.mark.parametrize("text", ["Yeah, right.", "That's true.", "Oh, really?", "Sure, go ahead."])
def test_back_channel_turns_are_cross_talk(text: str) -> None:
    assert filler_weight(text) == (1.0, "cross-talk")


@pytest.mark.parametrize(
    "text", ["He was right.", "And he was right.", "Because it is.", "And it does."]
)
def test_a_storys_short_last_line_is_not_cross_talk(text: str) -> None:
    # Function words and "right" as in a back-channel, but a line about him, or one that
    # carries on the speaker's own sentence, tells the story.
    weight, _ = filler_weight(text)
    assert weight < 0.5


@pytest.mark.parametrize(
    "text", ["It isn't.", "It wasn't.", "I didn't have one.", "I couldn't see anything."]
)
def test_a_speakers_own_short_denial_is_not_cross_talk(text: str) -> None:
    # Only function words, like "Yeah, right.", but a subject with a negated verb: a beat
    # of the story being told ("People assume the danger is storms. It isn't.").
    weight, _ = filler_weight(text)
    assert weight < 0.5


@pytest.mark.parametrize("text", ["That's true.", "You're right.", "No.", "Not really."])
def test_agreeing_or_a_bare_no_is_still_cross_talk(text: str) -> None:
    weight, kind = filler_weight(text)
    assert weight == 1.0 and kind == "cross-talk"


@pytest.mark.parametrize(
    "text",
    [
        "Wow.",
        "Beautiful.",
        "That's so true.",
        "I love that.",
        "That's a really good point, okay, the money side.",
        "That's good, that's really good, does it work on twins?",
        "Wow, and the passengers never noticed?",
        "That's a bit scary, but also reassuring.",
        "What a great image.",
        "Oh, that's awful.",
        "Fair enough.",
    ],
)
def test_a_listeners_reaction_is_recognised(text: str) -> None:
    assert is_reaction(text)


@pytest.mark.parametrize(
    "text",
    [
        "It was beautiful, honestly.",
        "That is impossible.",
        "That's why the guidance changed.",
        "Great advice is rare when you start a company from nothing.",
        "The crew loved the food.",
        "Right, back to it.",
        "Oh, and one correction before I go.",
        "Oh, it was awful for everyone.",
        "Yes.",
        "",
    ],
)
def test_statements_are_not_reactions(text: str) -> None:
    assert not is_reaction(text)


def test_declining_to_go_into_something_is_a_self_labelled_digression() -> None:
    weight, kind = filler_weight("I won't go into all of it now, it's quite technical.")
    assert kind == "rambling" and weight > 0.3
    assert filler_weight("We won't go into debt for a bigger oven.") == (0.0, "")


def test_a_listeners_echo_of_the_line_before_opens_a_turn() -> None:
    told, echo, going_on = infos(
        [
            "At least twice it mattered.",
            "Twice it mattered.",
            "Twice it mattered more than any checklist we ever wrote for the crew.",
        ]
    )
    assert opens_turn(told, echo)
    # Reusing the words at length is the speaker going on, not an echo.
    assert not opens_turn(told, going_on)
    assert not opens_turn(None, echo)
    # A short line with new words, or the same words said anew, is not an echo; a reaction
    # is a response whatever it says.
    assert not opens_turn(told, one("The crew never forgot it."))
    assert not opens_turn(told, one("It mattered twice."))
    assert opens_turn(told, one("Wow."))


def test_a_line_opening_on_the_close_of_the_one_before_is_an_echo_at_any_length() -> None:
    told, taken_up, anaphora, short = infos(
        [
            "Love it a little less often.",
            "Love it a little less often, and it goes on the mug.",
            "Love it and leave it alone for five years at a time.",
            "Less often, and it goes on the mug and on the wall.",
        ]
    )
    assert repeats_close(told, taken_up) and opens_turn(told, taken_up)
    # Repeating a sentence's opening is a speaker going on; fewer closing words than
    # ECHO_OPENING_TOKENS are ordinary repetition.
    assert not opens_turn(told, anaphora)
    assert len(short.tokens) > ECHO_MAX_TOKENS and not opens_turn(told, short)


def one(text: str) -> SentenceInfo:
    return infos([text])[0]


def test_filler_share_is_time_weighted() -> None:
    run = infos(["Please subscribe to the channel today.", "Compound interest doubles money."])
    corpus = corpus_stats(run)
    share = ft.filler_share(ft.WindowStats.of(run, corpus))
    assert 0.3 < share < 0.8
    assert ft.filler_share(ft.WindowStats.of(run[1:], corpus)) == 0.0


def test_one_clear_filler_sentence_interrupts_a_window() -> None:
    clean = infos(["Compound interest doubles money.", "Start early and wait."])
    broken = infos(
        ["Compound interest doubles money.", "Can you hear me okay?", "Start early and wait."]
    )
    corpus = corpus_stats(broken)
    assert ft.interruption(ft.WindowStats.of(clean, corpus)) == 0.0
    assert ft.interruption(ft.WindowStats.of(broken, corpus)) >= ft.FILLER_SENTENCE


def test_keyword_match_is_stemmed_and_partial() -> None:
    keywords = ft.keyword_stems(["pricing strategy", "Sleep"])
    assert keywords == [(stem("pricing"), stem("strategy")), (stem("sleep"),)]
    priced = info("We changed our prices twice that year.")
    slept = info("She sleeps nine hours before every match.")
    neither = info("The garden was lovely in May.")
    assert ft.keyword_match(ft.keyword_hits(priced, keywords), keywords) == 0.5
    assert ft.keyword_match(ft.keyword_hits(slept, keywords), keywords) == 1.0
    assert ft.keyword_match(ft.keyword_hits(neither, keywords), keywords) == 0.0
    assert ft.keyword_hits(priced, []) == set()


# --- energy -------------------------------------------------------------------------------


def test_energy_is_neutral_without_a_loudness_track() -> None:
    assert LoudnessProfile.from_extra({}) is None
    assert LoudnessProfile.from_extra({"loudness": {"hop_seconds": 0, "dbfs": [1.0]}}) is None
    assert LoudnessProfile.from_extra({"loudness": {"hop_seconds": 0.1, "dbfs": "x"}}) is None
    assert speech_energy(None, 0.0, 10.0) == NEUTRAL


def test_energy_is_higher_where_speech_is_louder() -> None:
    # 10 s quiet speech (-30 dBFS), 10 s loud speech (-18 dBFS), hops of 0.5 s; a pause
    # (-90 dBFS) inside the quiet part must not count as quiet speech.
    dbfs = [-30.0] * 20 + [-18.0] * 20
    dbfs[5] = -90.0
    profile = LoudnessProfile.from_extra({"loudness": {"hop_seconds": 0.5, "dbfs": dbfs}})
    assert profile is not None
    quiet = speech_energy(profile, 0.0, 10.0)
    loud = speech_energy(profile, 10.0, 20.0)
    assert loud > NEUTRAL > quiet
    assert speech_energy(profile, 100.0, 110.0) == NEUTRAL  # beyond the track


def test_stem_conflates_inflections_but_keeps_short_words() -> None:
    assert stem("investing") == stem("invested") == stem("invests") == "invest"
    assert stem("stories") == "story"
    assert stem("glass") == "glass"
    assert stem("bus") == "bus"
