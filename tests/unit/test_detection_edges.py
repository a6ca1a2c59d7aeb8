"""Edge choice: the evidence that a sentence closes or opens a thought, and moving a chosen
clip's end and start."""

from __future__ import annotations

from clipforge.detection.analysis import SentenceInfo, analyse
from clipforge.detection.edges import (
    AHEAD_SECONDS,
    ASKED,
    FILLER_LIMIT,
    JOIN,
    LEAD_IN_READING,
    MARGIN,
    SPLIT,
    TAIL_READING,
    TRIM_PAUSE,
    TRIM_REACH,
    TURN_END,
    WALL,
    EdgeEvidence,
    announces,
    asked,
    before_reaction,
    continuation,
    end_quality,
    hands_over,
    joins,
    refine_all,
    refine_end,
    refine_start,
    start_quality,
    turns_away,
    within_breaks,
    without_lead_in_or_tail,
)
from clipforge.detection.segmentation import Segmentation
from clipforge.detection.sentences import split_sentences
from tests.unit.test_detection_fixtures import build

STORY = [
    "Our bakery sold sourdough bread at a loss for years.",  # 0
    "Every loaf of bread cost more flour than we charged for it.",  # 1
    "We raised the bread price and lost almost no customers.",  # 2
    "The loyal customers wanted the bread, not the discount.",  # 3
    "Price the bread for the customers who love it.",  # 4: the payoff
    "Rocket engines burn liquid oxygen at enormous pressure.",  # 5: the next topic
    "The rocket nozzle shapes the exhaust plume.",  # 6
    "Each rocket launch checks the engine pressure.",  # 7
]


def infos(texts: list[str]) -> list[SentenceInfo]:
    return [analyse(s) for s in split_sentences(build(texts))]


def evidence(texts: list[str], pauses: list[float]) -> EdgeEvidence:
    """Gap strength equal to the pause evidence, so a test controls both at once; gaps past
    the given ones are ordinary (the transcript's own end counts as a full stop)."""
    pauses = pauses + [0.1] * (len(texts) - 1 - len(pauses))
    return EdgeEvidence(infos(texts), Segmentation(tuple(pauses), ()), pauses)


def one(text: str) -> SentenceInfo:
    return infos([text])[0]


def always(i: int, k: int) -> bool:
    return True


def test_announcements_are_promises_list_openers_and_answered_questions() -> None:
    statement = one("The answer is to charge more.")
    assert announces(one("Here's the thing about pricing."), statement)
    assert announces(one("First, look at what every loaf costs you."), statement)
    assert announces(one("So why did nobody leave?"), statement)
    assert not announces(one("So why did nobody leave?"), one("Was it the bread?"))
    assert not announces(one("So why did nobody leave?"), None)
    assert not announces(statement, one("Why would they?"))


def test_continuation_from_a_linking_word_or_repeated_content_words() -> None:
    last = one("The loyal customers wanted the bread.")
    assert continuation(last, one("And the bread kept selling.")) == 1.0
    assert continuation(last, one("Because they loved it.")) == 1.0
    assert continuation(last, one("Loyal customers wanted bread every morning.")) == 1.0
    assert continuation(last, one("Rocket engines burn liquid oxygen.")) == 0.0
    # One shared word of three is ordinary cohesion, not the same thought going on.
    assert continuation(last, one("Customers were surprised.")) == 0.0
    assert continuation(last, None) == 0.0


def test_end_quality_rises_with_the_pause_and_falls_on_an_announcement() -> None:
    quiet = evidence(STORY, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    heard = evidence(STORY, [0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    assert end_quality(heard, 0, 4) > end_quality(quiet, 0, 4) + 0.5
    promise = [*STORY[:4], "Here's the thing about the bread price.", *STORY[5:]]
    assert end_quality(evidence(promise, [0.1] * 6), 0, 4) < end_quality(quiet, 0, 4) - 0.2


def test_an_end_before_the_payoff_moves_on_to_the_longer_pause() -> None:
    ev = evidence(STORY, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    assert refine_end(ev, 0, 2, always, always) == 4


def test_an_end_stays_when_nothing_nearby_is_clearly_better() -> None:
    ev = evidence(STORY, [0.1, 0.2, 0.3, 0.1, 0.3 - MARGIN / 2, 0.1])
    assert refine_end(ev, 0, 2, always, always) == 2


def test_an_end_running_into_the_next_topic_moves_back() -> None:
    ev = evidence(STORY, [0.1, 0.1, 0.1, 0.1, 0.7, 0.1])
    # (The duration range keeps the clip off the transcript's last sentence, whose end
    # would be a full stop.)
    assert refine_end(ev, 0, 5, lambda i, k: k < 7, always) == 4


def test_an_end_never_moves_across_a_wall_like_pause() -> None:
    ev = evidence(STORY, [0.1, 0.1, WALL, 0.1, 1.0, 0.1])
    assert refine_end(ev, 0, 2, always, always) == 2


def test_a_clip_holding_a_clear_pause_keeps_its_longest_stretch() -> None:
    # The story (0-4), a clear pause, then the start of the next topic riding along (5-6).
    ev = evidence(STORY, [0.1, 0.1, 0.1, 0.1, SPLIT, 0.1])
    assert within_breaks(ev, 0, 6, always) == (0, 4)
    # A head before the pause goes the same way: the longer stretch after it is kept.
    head = evidence(STORY, [0.1, SPLIT, 0.1, 0.1, 0.1, 0.1])
    assert within_breaks(head, 0, 6, always) == (2, 6)
    # refine_all narrows before it refines, and the end does not come back over a wall.
    walled = evidence(STORY, [0.1, 0.1, 0.1, 0.1, WALL, 0.1])
    assert refine_all(walled, [(0, 6)], lambda i, k: k < 7) == [(0, 4)]


def test_a_clip_holding_a_clear_pause_keeps_the_stretch_that_scores_best() -> None:
    # A story (0-2), a clear pause, then a longer ramble (3-6) that scores worse as a clip:
    # the story is kept, not the stretch of more sentences.
    ev = evidence(STORY, [0.1, 0.1, SPLIT, 0.1, 0.1, 0.1])
    assert within_breaks(ev, 0, 6, always) == (3, 6)
    scores = {(0, 2): 0.8, (3, 6): 0.4}
    assert within_breaks(ev, 0, 6, always, lambda i, j: scores[(i, j)]) == (0, 2)
    assert refine_all(ev, [(0, 6)], lambda i, k: k < 7, lambda i, j: scores[(i, j)]) == [(0, 2)]


def test_a_clear_pause_stays_inside_a_clip_that_would_otherwise_be_too_short() -> None:
    ev = evidence(STORY, [0.1, 0.1, 0.1, 0.1, SPLIT, 0.1])
    assert within_breaks(ev, 0, 6, lambda i, k: k - i >= 5) == (0, 6)
    # An ordinary pause splits nothing.
    below = evidence(STORY, [0.1, 0.1, 0.1, 0.1, SPLIT - 0.05, 0.1])
    assert within_breaks(below, 0, 6, always) == (0, 6)


def test_a_pause_the_next_line_carries_on_from_does_not_split() -> None:
    # A dramatic pause before "And ..." (or a line repeating the one before) is the same
    # thought going on, not one thing ending and another beginning.
    clear = (SPLIT + WALL) / 2
    texts = [*STORY[:3], "Who kept buying the bread?", "And they all did.", *STORY[5:]]
    ev = evidence(texts, [0.1, 0.1, 0.1, clear, 0.1, 0.1])
    assert within_breaks(ev, 0, 6, always) == (0, 6)
    told = [*STORY[:3], "Who kept buying the bread?", "Rockets did.", *STORY[5:]]
    assert within_breaks(evidence(told, [0.1, 0.1, 0.1, clear, 0.1, 0.1]), 0, 6, always) == (0, 3)


def test_a_wall_like_pause_splits_even_before_a_linking_word() -> None:
    # A pause as long as the speaker's longest is where a turn ended, whatever the next line
    # opens on ("Oh, ..." heard as "Or, ..."; a listener's "And what did you do then?").
    texts = [*STORY[:3], "Who kept buying the bread?", "And they all did.", *STORY[5:]]
    ev = evidence(texts, [0.1, 0.1, 0.1, WALL, 0.1, 0.1])
    assert within_breaks(ev, 0, 6, always) == (0, 3)


def test_a_question_a_clear_pause_and_a_statement_change_turns() -> None:
    texts = [*STORY[:3], "Who kept buying the bread?", "The customers kept buying the bread."]
    texts += STORY[5:]
    ev = evidence(texts, [0.1, 0.1, 0.1, SPLIT, 0.1, 0.1])
    assert asked(ev, 3) and not asked(ev, 2)
    # The answer repeats the question's words (a carry-on), and still the clip splits there.
    assert continuation(ev.infos[3], ev.infos[4]) >= 0.5
    assert within_breaks(ev, 0, 6, always) == (0, 3)
    # Asked and answered without a pause is one speaker going on; so is a second question.
    assert not asked(evidence(texts, [0.1] * 6), 3)
    questions = [*STORY[:3], "Who kept buying the bread?", "Who would not?", *STORY[5:]]
    assert not asked(evidence(questions, [0.1, 0.1, 0.1, SPLIT, 0.1, 0.1]), 3)
    # A shorter pause than a split's is enough after a question, and then the clip is cut.
    waited = evidence(texts, [0.1, 0.1, 0.1, ASKED, 0.1, 0.1])
    assert ASKED < SPLIT and asked(waited, 3)
    assert within_breaks(waited, 0, 6, always) == (0, 3)
    assert not asked(evidence(texts, [0.1, 0.1, 0.1, ASKED - 0.05, 0.1, 0.1]), 3)
    # A question reported in a story, left hanging, is the teller's own.
    told = [*STORY[:3], "He stopped me and asked, who buys the bread?", *texts[4:]]
    assert not asked(evidence(told, [0.1, 0.1, 0.1, SPLIT, 0.1, 0.1]), 3)


def test_an_end_never_moves_across_a_question_and_its_answer() -> None:
    texts = [*STORY[:3], "Who kept buying the bread?", "The customers kept buying the bread."]
    pauses = [0.1, 0.1, 0.1, SPLIT, 0.9, 0.1]
    ev = evidence([*texts, *STORY[5:]], pauses)
    assert refine_end(ev, 0, 2, always, always) == 2
    # Without the pause after the question the answer is the story going on.
    quiet = evidence([*texts, *STORY[5:]], [0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    assert refine_end(quiet, 0, 2, always, always) == 4


def test_an_end_never_takes_in_filler() -> None:
    texts = [*STORY[:3], "Thanks for listening and see you next week.", *STORY[4:]]
    ev = evidence(texts, [0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    assert ev.infos[3].filler >= 0.5
    assert refine_end(ev, 0, 2, always, always) == 2


def test_an_end_takes_in_a_closing_line_in_new_words() -> None:
    # A story's last line may say its point in words the clip never used: the pause after
    # it decides, not its vocabulary.
    texts = [*STORY[:4], "Show up for the dull bits, that's where they're watching.", *STORY[5:]]
    ev = evidence(texts, [0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    assert not set(ev.infos[4].stems) & {s for info in ev.infos[:4] for s in info.stems}
    assert refine_end(ev, 0, 2, always, always) == 4


def test_an_end_respects_the_duration_range_and_the_other_clips() -> None:
    ev = evidence(STORY, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    assert refine_end(ev, 0, 2, lambda i, k: k <= 3, always) == 2
    assert refine_end(ev, 0, 2, always, lambda i, k: k <= 3) == 2


def test_an_end_never_takes_in_a_sentence_that_turns_away() -> None:
    texts = [*STORY[:3], "Okay, the bread price question is next.", *STORY[4:]]
    ev = evidence(texts, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    assert ev.infos[3].filler < 0.5  # not filler: the cue alone stops the end
    assert refine_end(ev, 0, 2, always, always) == 2


def test_a_cue_word_running_on_into_its_sentence_does_not_turn_away() -> None:
    assert turns_away(one("Okay, the bread price question is next."))
    assert turns_away(one("Anyway."))
    assert turns_away(one("Sorry - my cat walked over the desk."))
    # The word itself, spoken of: "Okay stood for 'all correct'" tells the story on.
    assert not turns_away(one("Okay stood for all correct, a comic spelling."))
    texts = [*STORY[:3], "Okay stood for the bread price.", *STORY[4:]]
    ev = evidence(texts, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    assert refine_end(ev, 0, 2, always, always) == 4


def test_a_start_on_a_cue_goes_no_further_back() -> None:
    # "Anyway, ..." opens the clip: the long pause before sentence 1 would draw the start
    # back, but what lies before the cue is what the speaker turned away from.
    texts = [*STORY[:3], "Anyway, the bread price is what mattered.", *STORY[4:]]
    ev = evidence(texts, [0.1, 0.9, 0.1, 0.1, 0.1, 0.1])
    assert refine_start(ev, 3, 4, always, always) >= 3
    plain = [*STORY[:3], "In the end the bread price is what mattered.", *STORY[4:]]
    assert refine_start(evidence(plain, [0.1, 0.9, 0.1, 0.1, 0.1, 0.1]), 3, 4, always, always) == 2


def test_an_end_is_cut_back_before_a_listeners_reaction() -> None:
    texts = [*STORY[:5], "Wow, and the customers really never left?", *STORY[6:]]
    ev = evidence(texts, [0.1] * 6)
    assert ev.infos[5].reaction
    # The thing told ended with the line the listener reacted to.
    assert before_reaction(ev, 0, 6, always) == 4
    assert refine_end(ev, 0, 6, always, always) == 4
    # Not when the clip would then be too short, and not for a reaction it opens on.
    assert before_reaction(ev, 0, 6, lambda i, k: k >= 5) == 6
    assert before_reaction(ev, 5, 7, always) == 7
    # Without the reaction the same clip keeps its end.
    plain = evidence([*STORY[:5], "And the customers really never left.", *STORY[6:]], [0.1] * 6)
    assert before_reaction(plain, 0, 6, always) == 6


def test_an_end_never_moves_on_into_a_reaction() -> None:
    texts = [*STORY[:3], "That's so true, the bread price is everything.", *STORY[4:]]
    ev = evidence(texts, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    assert ev.infos[3].filler < 0.5  # not filler: the reaction alone stops the end
    assert refine_end(ev, 0, 2, always, always) == 2
    # The same sentence without the reaction is taken in, on to the longer pause.
    told = [*STORY[:3], "The bread price is everything.", *STORY[4:]]
    assert refine_end(evidence(told, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1]), 0, 2, always, always) == 4


def test_an_end_stops_before_a_listeners_echo() -> None:
    texts = [*STORY[:5], "The customers who love it.", *STORY[6:]]
    ev = evidence(texts, [0.1] * 6)
    assert ev.responds(5) and not ev.responds(4)
    assert before_reaction(ev, 0, 6, always) == 4


def test_an_end_before_another_turn_closes_better() -> None:
    # The same story line ends a clip better when the next line turns away or responds.
    going_on = evidence([*STORY[:5], "The bakery opened a second shop.", *STORY[6:]], [0.1] * 6)
    cue = evidence([*STORY[:5], "Okay, the bakery opened a second shop.", *STORY[6:]], [0.1] * 6)
    echo = evidence([*STORY[:5], "The customers who love it.", *STORY[6:]], [0.1] * 6)
    assert not hands_over(going_on, 5)
    assert hands_over(cue, 5) and hands_over(echo, 5)
    assert end_quality(cue, 0, 4) == end_quality(going_on, 0, 4) + TURN_END

    # So an end two lines short of the turn moves on to it, which it would not otherwise:
    # the pause after the payoff is set to fall half the bonus short of the margin.
    def story(next_line: str, pause: float) -> EdgeEvidence:
        return evidence([*STORY[:5], next_line, *STORY[6:]], [0.1, 0.1, 0.2, 0.1, pause, 0.1])

    plain = "The bakery opened a second shop."
    short_by = end_quality(story(plain, 0.2), 0, 2) + MARGIN - end_quality(story(plain, 0.0), 0, 4)
    pause = short_by - TURN_END / 2
    assert 0.0 <= pause < 1.0
    assert refine_end(story(plain, pause), 0, 2, always, always) == 2
    assert (
        refine_end(story("Okay, " + plain[0].lower() + plain[1:], pause), 0, 2, always, always) == 4
    )


def test_a_start_moves_back_to_an_opening_line_in_its_own_words() -> None:
    texts = [
        "Rocket engines burn liquid oxygen.",
        "If I could tell my younger self one thing, it would be this.",  # shares no word
        *STORY,
    ]
    # The long pause before the opening line also keeps the start off the first sentence.
    ev = evidence(texts, [0.9, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert not set(ev.infos[1].stems) & set().union(*(i.stems for i in ev.infos[2:7]))
    assert refine_start(ev, 2, 6, always, always) == 1


def test_a_start_never_moves_back_over_a_reaction() -> None:
    texts = ["Rocket engines burn liquid oxygen.", "I love that, the bread story.", *STORY]
    ev = evidence(texts, [0.9, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert refine_start(ev, 2, 6, always, always) == 2


def test_a_start_after_the_opening_line_moves_back_to_the_longer_pause() -> None:
    ev = evidence(STORY, [0.1, 0.9, 0.1, 0.1, 0.9, 0.1])
    # Sentence 2 follows the longest pause before the story's middle; the wall before it
    # keeps the start from reaching the transcript's first sentence.
    assert refine_start(ev, 3, 4, always, always) == 2
    assert start_quality(ev, 2, 4) > start_quality(ev, 3, 4) + MARGIN


def test_a_start_that_carries_on_the_previous_sentence_moves_forward() -> None:
    texts = ["Rocket engines burn liquid oxygen.", "And the nozzle shapes the exhaust.", *STORY]
    ev = evidence(texts, [0.1, 0.9, 0.1, 0.1, 0.1, 0.1])
    assert refine_start(ev, 1, 6, lambda k, j: k >= 1, always) == 2
    # Leaning on the sentence before ("And ...") is enough on its own against a clean
    # opening right after it; a clean opening with nothing better nearby stays.
    flat = evidence(texts, [0.1] * 6)
    assert refine_start(flat, 1, 6, lambda k, j: k >= 1, always) == 2
    clean = evidence(["Rocket engines burn liquid oxygen.", *STORY], [0.1] * 6)
    assert refine_start(clean, 1, 5, lambda k, j: k >= 1, always) == 1


def test_refine_all_keeps_chosen_clips_apart() -> None:
    ev = evidence(STORY, [0.1, 0.2, 0.3, 0.1, 0.9, 0.1])
    # The first clip would move on to sentence 4, but the second holds it as chosen; the
    # second then starts after the long pause, as the first would have ended, and on the
    # second pass the first takes the sentences the second gave back.
    assert refine_all(ev, [(0, 2), (3, 7)], always) == [(0, 4), (5, 7)]
    assert refine_all(ev, [(0, 2), (5, 7)], always) == [(0, 4), (5, 7)]


def test_a_cue_turning_away_inside_a_clip_splits_it() -> None:
    # An anecdote (0-2) run straight on, with no pause, into "Anyway, ..." and the point.
    texts = [
        "I went to a small bread museum by the river last weekend.",
        "The cafe there was closed, so I ate a sandwich on a bench.",
        "A man kept telling everybody about his grandfather.",
        "Anyway, what I learned is that loyal customers wanted good bread, not the discount.",
        *STORY[1:5],
    ]
    ev = evidence(texts, [0.1] * 7)
    assert within_breaks(ev, 0, 7, always) == (3, 7)
    # The same words without the cue run on as one stretch.
    plain = [*texts[:3], "What I learned is that loyal customers wanted the bread.", *STORY[1:5]]
    assert within_breaks(evidence(plain, [0.1] * 7), 0, 7, always) == (0, 7)


def test_a_filler_cue_line_belongs_to_neither_side() -> None:
    # "Anyway, that's how I got started." closes the anecdote without adding to it; the
    # point after it is the longer stretch and starts after the cue line.
    texts = [
        "My first job was at a hardware shop on the high street.",
        "Anyway, that is really how I got started.",
        *STORY[:5],
    ]
    ev = evidence(texts, [0.1] * 6)
    assert ev.infos[1].filler >= FILLER_LIMIT
    assert within_breaks(ev, 0, 6, always) == (2, 6)


def test_two_clips_meeting_across_no_pause_are_one() -> None:
    ev = evidence(STORY, [0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    # The bread story (0-4) chosen as two halves, and the rocket topic after a long pause.
    assert joins(ev, [(3, 4), (0, 2), (5, 7)], always) == [(0, 4), (5, 7)]
    # Not where the joined clip would be too long, nor across a pause beyond the usual.
    assert joins(ev, [(0, 2), (3, 4)], lambda i, j: j - i < 4) == [(0, 2), (3, 4)]
    paused = evidence(STORY, [0.1, 0.1, JOIN, 0.1, 0.9, 0.1])
    assert joins(paused, [(0, 2), (3, 4)], always) == [(0, 2), (3, 4)]
    # Clips that do not meet stay apart however weak the gaps between them.
    assert joins(ev, [(0, 1), (3, 4)], always) == [(0, 1), (3, 4)]


def test_clips_meeting_at_another_turn_stay_apart() -> None:
    cue = [*STORY[:3], "Anyway, loyal customers wanted bread above everything else.", *STORY[4:]]
    assert joins(evidence(cue, [0.1] * 7), [(0, 2), (3, 4)], always) == [(0, 2), (3, 4)]
    reaction = [*STORY[:3], "Wow.", *STORY[3:]]
    assert joins(evidence(reaction, [0.1] * 8), [(0, 2), (3, 5)], always) == [(0, 2), (3, 5)]


BEAT = [
    "We raised the bread price once, years ago.",  # 0
    "The whole village said we would close within a month.",  # 1
    "We did not close.",  # 2
    "Sure.",  # 3: a line that reads as a back-channel
    "The queue was longer the next Saturday than ever before.",  # 4: the story's close
    "Anyway, rocket engines burn liquid oxygen at enormous pressure.",  # 5
]


def test_an_end_runs_on_over_the_tellers_own_short_beat() -> None:
    # Said straight on (no pause, the same voice): the teller's beat, and the story's close
    # after it can be reached.
    said = evidence(BEAT, [0.1, 0.1, 0.1, 0.1, 0.9])
    assert said.infos[3].filler >= FILLER_LIMIT
    assert refine_end(said, 0, 2, always, always) == 4
    # After a clear pause or in another voice (pause evidence at SPLIT or above), it is a
    # listener's, and the end stops before it.
    heard = evidence(BEAT, [0.1, 0.1, SPLIT, 0.1, 0.9])
    assert refine_end(heard, 0, 2, always, always) == 2
    # Opening a clip, the same line is left out either way.
    assert refine_start(said, 4, 4, always, always) == 4


def test_an_end_reaches_a_close_told_in_many_short_lines() -> None:
    # Six short lines (about 2 s each) after the chosen end: past AHEAD sentences, but
    # within AHEAD_SECONDS, and the last of them closes the story before a clear pause.
    texts = [
        "We drove through the night to reach the farm before the frost.",
        "The farmer was waiting at the gate with a torch.",
        "He said nothing.",
        "Not a word.",
        "He nodded.",
        "Then he smiled.",
        "We were late.",
        "It did not matter.",
        "Rocket engines burn liquid oxygen at enormous pressure.",
    ]
    pauses = [0.1] * 7 + [0.9]
    ev = evidence(texts, pauses)
    assert ev.infos[7].end - ev.infos[1].end <= AHEAD_SECONDS
    assert refine_end(ev, 0, 1, always, always) == 7


LETTER_AND_ANSWER = [
    "We have a letter from Devon.",  # 0: the letter, read out
    "Devon asks how long it takes to get good.",  # 1
    "The honest answer is a few hundred hours.",  # 2: the answer
    "You learn it by painting one letter every night.",  # 3
    "The hardest letter teaches you all the others.",  # 4
    "So, from today.",  # 5: a recap
    "Paint every night.",  # 6
]


def read(ev: EdgeEvidence, reading: list[float]) -> EdgeEvidence:
    return EdgeEvidence(ev.infos, ev.seg, ev.pause, reading)


def test_a_lead_in_and_a_tail_that_read_as_filler_are_cut_off_at_a_pause() -> None:
    pause = [0.1, TRIM_PAUSE, 0.1, 0.1, TRIM_PAUSE, 0.1]
    ev = read(evidence(LETTER_AND_ANSWER, pause), [0.3, 0.2, 0.8, 0.7, 0.9, 0.3, 0.4])
    always = lambda i, j: True  # noqa: E731
    assert without_lead_in_or_tail(ev, 0, 6, always) == (2, 4)
    # Only what the rest still fits without: a clip never shrinks below the range.
    assert without_lead_in_or_tail(ev, 0, 6, lambda i, j: j - i >= 4) == (2, 6)
    # No model, no cut.
    assert without_lead_in_or_tail(evidence(LETTER_AND_ANSWER, pause), 0, 6, always) == (0, 6)


def test_lines_are_cut_off_only_where_their_words_and_a_pause_say_so() -> None:
    always = lambda i, j: True  # noqa: E731
    reading = [0.3, 0.2, 0.8, 0.7, 0.9, 0.3, 0.4]
    # Without a pause longer than usual the lines are one telling: a plain line is no lead-in.
    assert without_lead_in_or_tail(
        read(evidence(LETTER_AND_ANSWER, []), reading), 0, 6, always
    ) == (
        0,
        6,
    )
    pause = [0.1, TRIM_PAUSE, 0.1, 0.1, TRIM_PAUSE, 0.1]
    # Lines that read, on the whole, like a highlight's stay, at either end.
    plain = [LEAD_IN_READING + 0.05, 0.6, 0.8, 0.7, 0.9, TAIL_READING + 0.05, 0.5]
    assert without_lead_in_or_tail(
        read(evidence(LETTER_AND_ANSWER, pause), plain), 0, 6, always
    ) == (
        0,
        6,
    )
    # The line a clip would open on must read as a highlight's itself.
    unclear = [0.3, 0.2, LEAD_IN_READING, 0.7, 0.9, 0.3, 0.4]
    ev = read(evidence(LETTER_AND_ANSWER, pause), unclear)
    assert without_lead_in_or_tail(ev, 0, 6, always)[0] == 0


def test_a_lead_in_runs_to_at_most_trim_reach_sentences() -> None:
    texts = [
        f"Line {n} of the host reading the listener letter out." for n in range(TRIM_REACH + 1)
    ]
    texts += ["The honest answer is a few hundred hours.", "You learn it by painting letters."]
    n = len(texts)
    pause = [0.1] * TRIM_REACH + [TRIM_PAUSE] + [0.1]
    reading = [0.1] * (TRIM_REACH + 1) + [0.9, 0.9]
    ev = read(evidence(texts, pause), reading)
    assert without_lead_in_or_tail(ev, 0, n - 1, lambda i, j: True) == (0, n - 1)
    assert without_lead_in_or_tail(ev, 1, n - 1, lambda i, j: True) == (TRIM_REACH + 1, n - 1)
