"""A recap names the show's earlier parts again, a few words each: it is filler however it
is worded."""

from __future__ import annotations

from clipforge.detection.analysis import (
    RECAP_WEIGHT,
    SentenceInfo,
    analyse,
    recaps_marked,
)
from clipforge.detection.sentences import split_sentences
from tests.unit.test_detection_fixtures import build


def story(subject: str, place: str) -> list[str]:
    """Eight sentences (about 36 s) about `subject` at `place`, each word said only here."""
    return [
        f"The strangest job I ever had involved a {subject} near the {place}.",
        "It started on a grey Tuesday morning with a phone call nobody expected at all.",
        "My boss said it would take an hour and it took most of the week instead.",
        "We borrowed ladders, ropes and a kettle from the people living next door.",
        "By Thursday half the street had come out to watch us and offer advice.",
        "Somebody brought sandwiches, somebody else brought a folding chair and a radio.",
        "On Friday it finally worked, and the whole street cheered like a football crowd.",
        "I still think about that week whenever things at work feel too serious.",
    ]


SHOW = [
    *story("organ", "cathedral"),
    *story("lamp", "harbour"),
    *story("pigeon", "allotments"),
    *story("tandem", "viaduct"),
]
RECAP = "So, the organ in the cathedral, the harbour lamp, the pigeons, and the tandem."


def infos_of(lines: list[str]) -> list[SentenceInfo]:
    return [analyse(s) for s in split_sentences(build(lines))]


def test_a_list_that_names_the_earlier_parts_again_is_a_recap() -> None:
    infos = infos_of([*SHOW, RECAP, "Thanks for listening."])
    recap = infos[len(SHOW)]
    assert recap.filler == 0.0  # no recap phrase in it: its words alone say nothing
    marked = recaps_marked(infos)
    assert marked[len(SHOW)].filler_kind == "recap"
    assert marked[len(SHOW)].filler == RECAP_WEIGHT
    # Nothing else is touched.
    assert [m for k, m in enumerate(marked) if k != len(SHOW)] == [
        i for k, i in enumerate(infos) if k != len(SHOW)
    ]


def test_a_list_of_new_things_is_part_of_a_story() -> None:
    packed = "We packed a stove, two tarps, a shovel, the compass, and biscuits."
    infos = infos_of([*SHOW, packed])
    assert recaps_marked(infos)[-1] == infos[-1]


def test_naming_fewer_earlier_places_or_in_long_items_is_not_a_recap() -> None:
    two = "So, the organ in the cathedral, the harbour lamp, a flask, and a rope."
    long_items = (
        "So the organ in the cathedral that nobody could ever quite manage to play, "
        "the lamp down at the harbour that kept on going out every single night, "
        "and the pigeons and the tandem that the whole street came out to look at."
    )
    infos = infos_of([*SHOW, two, long_items])
    marked = recaps_marked(infos)
    assert marked[-2:] == infos[-2:]


NAMED = [
    ("organ", "cathedral"),
    ("lamp", "harbour"),
    ("pigeon", "allotments"),
    ("tandem", "viaduct"),
]


def test_callbacks_to_what_was_just_said_are_not_a_recap() -> None:
    # Each part named once, all in the last twenty seconds: the list goes on with them, it
    # recalls nothing.
    recent = [story(s, p)[0] for s, p in NAMED]
    infos = infos_of([*recent, RECAP])
    assert recaps_marked(infos)[-1] == infos[-1]
    # The same lines, each followed by half a minute of something else, are recalled.
    spaced = [line for s, p in NAMED for line in (story(s, p)[0], *story("kiln", "quarry"))]
    infos = infos_of([*spaced, RECAP])
    assert recaps_marked(infos)[-1].filler_kind == "recap"
