"""Word lists and normalisation shared by segmentation, scoring and content generation.

The general-purpose lists (stop words, fillers, contrast and number words) are the Phase 1
heuristic's, imported so both detectors agree on what a content word is. The lists added here
describe properties of short-form clips that hold for any spoken show: words that point back
to something said before, phrases of housekeeping and sponsorship, and the like.
"""

from __future__ import annotations

import re
from functools import lru_cache

from clipforge.domain.clips import CONTRAST as CLIPS_CONTRAST
from clipforge.domain.clips import FILLERS as CLIPS_FILLERS
from clipforge.domain.clips import NUMBER_WORDS as CLIPS_NUMBER_WORDS
from clipforge.domain.clips import STOPWORDS as CLIPS_STOPWORDS
from clipforge.domain.text import tokens


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: frozenset[str] = CLIPS_STOPWORDS | wordset(
    """isn't wasn't aren't weren't doesn't didn't haven't hasn't hadn't couldn't wouldn't
    shouldn't we'll they'll he's she's there's here's what's let's i'd you'd we'd they'd
    said say says like lot lots kind sort mean know think right yes sure maybe something
    anything everything someone anyone one ones us many much every even still back way
    actually pretty quite bit make made take took come came put see look want need go
    went goes done um uh mm hmm ok"""
)
FILLER_WORDS: frozenset[str] = CLIPS_FILLERS | wordset("uhm um-hum mm-hmm hm")
CONTRAST_WORDS: frozenset[str] = CLIPS_CONTRAST | wordset(
    "turns surprising surprisingly opposite counterintuitive despite whereas"
)
#: Ordinals are left out: "my first season" is narration, not a figure worth quoting.
NUMBER_WORDS: frozenset[str] = CLIPS_NUMBER_WORDS - {"first", "second", "third"}

#: A first word that leans on something said before the clip (anaphora, discourse links).
DANGLING_OPENERS: frozenset[str] = wordset(
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
HOOK_OPENERS: frozenset[str] = wordset(
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
    "people think",
    "everyone thinks",
    "you think",
    "you've been told",
    "we're told",
    "the myth",
)
#: Negations that make an opening line a myth-buster ("Searing does not seal in juices").
NEGATIONS: frozenset[str] = wordset(
    """not no never isn't aren't wasn't weren't doesn't don't didn't won't can't cannot
    shouldn't wouldn't couldn't nothing nobody"""
)
#: Markers of a takeaway: advice, a generalisation, a lesson or a reversal of belief. A
#: clip with a point has some; a routine anecdote ("I usually get in at half past seven")
#: has none.
INSIGHT_PHRASES: tuple[str, ...] = (
    "you should",
    "you have to",
    "you need to",
    "you can",
    "if you",
    "the key",
    "the trick",
    "the secret",
    "the lesson",
    "the point",
    "the truth",
    "the reason",
    "the problem",
    "the answer",
    "what i learned",
    "i learned",
    "i realised",
    "i realized",
    "turns out",
    "it turns out",
    "that's why",
    "which is why",
    "which means",
    "that means",
    "most people",
    "people think",
    "nobody",
    "everyone",
    "always",
    "never",
    "is not",
    "isn't",
    "are not",
    "aren't",
    "does not",
    "doesn't",
    "instead",
    "the best",
    "the worst",
    "the most",
    "more than",
    "less than",
)
#: Hedges: a speaker unsure of their own point ("I think", "I'd have to check").
HEDGES: tuple[str, ...] = (
    "i think",
    "i guess",
    "i suppose",
    "might have",
    "may have",
    "could have been",
    "not sure",
    "i'm not sure",
    "i'd have to check",
    "i don't remember",
    "if i remember",
    "either way",
    "or maybe",
    "or something",
    "pretty much",
    "more or less",
)
#: Words of strong claims and stakes: superlatives, absolutes, emotion.
INTENSITY_WORDS: frozenset[str] = wordset(
    """biggest best worst most least always never every nobody everyone everything nothing
    huge massive crazy insane incredible amazing terrible shocking surprising secret truth
    mistake mistakes wrong myth lie fail failed failure success dangerous critical
    important changed change life killer brutal honestly love hate fear afraid impossible
    almost nearly lost crashed broke disaster entire killed died fired saved"""
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
#: Patterns of the parts of a show nobody clips, by kind: sponsor reads, calls to subscribe,
#: greetings and sign-offs, housekeeping and talk about the show itself. Matched against
#: `normalise(text)` (lower-case tokens between single spaces); on a tie the more specific
#: kind, listed first, names the sentence.
FILLER_PATTERNS: dict[str, re.Pattern[str]] = {
    kind: re.compile("|".join(f"(?: {p} )" for p in patterns))
    for kind, patterns in {
        "sponsor": (
            r"sponsor(?:s|ed)?",
            r"this week's sponsor",
            r"(?:supported|brought to you|sponsored)(?: this (?:week|month|episode|time)"
            r"| today| again)? by",
            # "Made possible by" alone is as often a story's ("by ten years of saving").
            r"made possible (?:this (?:week|month|episode|time)|today|again) by",
            # ... or by the audience: "made possible by our listeners and, this month, by".
            r"(?:made possible|supported|paid for) by (?:our|the|you)"
            r" (?:listeners|supporters|members|patrons)",
            # A web address, as a recogniser writes it ("waferaflask.com", "pies.co.uk")
            # or as it is read out ("pies dot co dot uk"): where to buy.
            r"com",
            r"co (?:dot )?uk",
            r"dot (?:com|org|net|co)",
            r"(?:promo|discount|coupon) code",
            r"(?:use|with) (?:the )?code",
            r"\S*% off",
            r"percent off",
            r"free trial",
            r"at checkout",
        ),
        # A correction of an earlier show ("A correction from two episodes back. I said
        # ..."), read out before the show goes on: an aside about the show itself.
        "correction": (
            r"corrections?",
            r"correct (?:myself|something|a mistake|the record)",
            r"(?:last|previous|an earlier|a past) (?:week|month|episode|show|time)"
            r"(?: \S+){0,3} i (?:said|told you|got)",
        ),
        # A notice read out between the show's parts ("A bit of news first.", "Housekeeping
        # for the saleroom, if I may."): dates, places and times, not a story.
        "notice": (
            r"housekeeping",
            r"announcements?",
            r"(?:a bit of|some|quick|a little) news",
            r"(?:a few|some|quick|first|two|three) (?:notices|reminders)",
            r"(?:quick|little|short) notices?",
            # A tangent announced as one ("A short tangent. My neighbour's chickens ..."):
            # the speaker says it is beside the point, and it runs on like a notice.
            r"(?:quick|short|small|little|brief) tangent",
            r"(?:go|going|went) off on (?:a )?tangent",
        ),
        # A recap of the show so far ("So, to sum up tonight: ..."): the highlights named
        # again in a line each, told as a list, not as stories.
        "recap": (
            r"to sum up",
            r"(?:to|a|quick|let's|let me) recap",
            r"in summary",
            r"(?:let me|let's|let us|i'll) sum up",
            r"(?:sum|gather|round) (?:it|things|everything|this|that)(?: all)? up",
            r"(?:pull|bring|tie) (?:it|things|everything|this)(?: all)? together",
            r"(?:go|run) back over (?:it|everything|what)",
            r"look(?:ing)? back over",
            r"to summari[sz]e",
        ),
        # A round of quick answers ("Quick round, one word each"): the show's format talking.
        "round": (
            r"(?:quick|lightning|rapid)(?:-?fire)? round",
            r"quick[- ]?fire",
            r"one word each",
        ),
        # Promotion of a show, a book, a gig: what is for sale and where.
        "promotion": (
            r"(?:a|quick|shameless) plug",
            r"plug (?:for|my|our)",
            r"(?:new|latest) (?:book|album|single|record|tour|course) (?:out|is out|coming)",
            r"(?:tickets|bookings?) (?:are |is )?(?:open|on sale|available|still)",
            r"on sale (?:now|from|at)",
            r"pre-?order",
        ),
        "subscribe": (
            r"subscrib\S*",
            r"(?:hit|ring|tap) the bell",
            r"notification",
            r"(?:leave|write) (?:a|us a) (?:review|rating|comment)",
            r"rate (?:and|us)",
            r"five stars?",
            r"patreon",
            r"support (?:the|this) show",
            r"keeps? the lights on",
            r"share (?:this|the) (?:episode|show|video)",
            # Not a swimmer who "asked if she could follow me".
            r"follow (?:us|me) (?:on|at)",
            r"follow the show",
            r"like and",
        ),
        "greeting": (
            r"welcome (?:back|to|everyone|everybody)",
            r"(?:hello|hi|hey) (?:everyone|everybody|there|folks|all|and welcome)",
            r"thanks?(?: you)?(?: \S+){0,3} for (?:having|joining|coming|listening|watching"
            r"|tuning|being here|your time)",
            r"thank you (?:so much|both|all|everyone|everybody)",
            r"thank (?:everyone|everybody|you all)",
            r"thanks (?:everyone|everybody|all|both|so much)",
            r"(?:happy|glad|great|good|nice|lovely) to (?:be here|have you|see you|be back)",
            r"hello (?:again|from)",
            r"says hello",
            r"(?:before we |to |let's )?wrap(?:ping)? (?:up|things up)",
            r"(?:bye|goodbye|cheers|take care)",
            r"see you (?:next|then|soon|all|later)",
            r"until next time",
            r"that's (?:all|it)(?: \S+){0,4} (?:for|i've got|i have)",
            r"i'm your host",
            r"my guests? (?:today|is|are)",
            r"joining me",
            r"today on the show",
            r"on today's (?:episode|show)",
        ),
        "housekeeping": (
            r"(?:the|this|our|my|your|today's|a) (?:show|episode|podcast|format|channel|audio"
            r"|microphone|mic|recording|newsletter|website|notes)",
            r"show notes",
            r"listeners?(?: survey| questions?| emails?| mail)?",
            r"(?:are we|we're|i'm|i am|we are) recording",
            r"recording this",
            # Checking the line: "Can you (still) hear me?", "I can hear you." Not any
            # hearing ("nobody to hear you rehearse").
            r"(?:can|could) you(?: both| all| still)? hear",
            r"(?:can|could) (?:still )?hear (?:me|you|us)",
            r"hear (?:me|you|us),? (?:ok|okay|all ?right|now|clearly|properly|fine)",
            r"loud and clear",
            r"(?:we're|are we|we are) rolling",
            r"(?:connection|line) (?:drops|is bad|keeps)",
            r"wi-?fi",
            r"tell (?:us|me) (?:a (?:little )?bit )?about",
            r"(?:can|could|may) i (?:just )?ask (?:about|you)",
            r"(?:in|into) the chat",
            r"(?:in|from|into) the comments",
            r"(?:written|wrote|writes) in (?:to|about|before|again|with)",
            r"(?:last|next|previous|upcoming) (?:episode|week's episode|show)",
            r"before (?:we|i) (?:start|begin|go on(?! air)|get started|dive in|continue)",
            r"(?:let's|let us) (?:just )?(?:get started|dive in|jump in|move on|keep going|begin)",
            r"(?:back to|on with) (?:the|our) (?:show|stories|story|conversation|episode|topic)",
            r"(?:we'll be|we're) (?:right )?back",
            r"after the break",
            r"(?:a|one) (?:quick|short|small) (?:break|word|note|reminder)",
            r"(?:another|a future|a full|its own|a separate) episode",
            r"for another (?:time|day)",
            r"(?:listening|launch|release|watch) party",
            r"(?:minutes|time) left",
            r"(?:check|checking|look at) the time",
            r"(?:we|i) (?:have|have got|only have) (?:a few|a couple of|\S+) minutes",
            r"(?:we've|i've) got (?:a few|a couple of|\S+) minutes",
            r"bear with (?:me|us)",
            r"(?:coming up on|running out of|out of) time",
            r"let me know",
            r"tell (?:a|your) friends?",
            r"where can (?:people|listeners|we|they) find",
            r"(?:social media|live event|reach out)",
            # Asking to be written to; not people who "still write to me at Christmas", nor
            # someone who "will email me" in a story.
            r"(?<!still )(?<!will )(?:email|write to) (?:me|us)",
            r"link(?:s)? (?:to|in|below)",
            r"in the description",
            r"where was i",
            # Putting a thought off ("I'll come back to it", "It'll come back to me"); not a
            # customer who came back to me.
            r"(?:go ahead|come back to (?:it|that))",
            # Handing the turn over or taking it ("No, no, go on.", "Can I jump in?"); not a
            # pain that can "go on for years" or a swimmer who will never "jump in".
            r"go on(?: then)?(?= $)",
            r"(?:can|could|may) i (?:just )?jump in",
            r"let me (?:just )?jump in",
            r"(?:it'll|it will) come back to me",
        ),
    }.items()
}
#: Hesitation phrases (beyond single filler words) that mark rambling.
HESITATION_PHRASES: tuple[str, ...] = (
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
    # A speaker announcing or labelling their own digression.
    "that reminds me",
    "by the way",
    "speaking of which",
    "on a side note",
    "side note",
    "random thought",
    "not really relevant",
    "not that it matters",
    "not relevant",
    "off topic",
    "on a tangent",
    "i digress",
    "but anyway",
    # Declining to go further into it: the speaker has stepped off the story's line.
    "won't go into it",
    "won't go into that",
    "won't go into all",
    "won't go into detail",
    "won't go into the details",
    "won't get into it",
    "won't get into that",
    "won't get into all",
)
#: "you know", "I mean", "like" set off by punctuation are verbal tics ("it was, like, fine");
#: inside a clause they are ordinary words ("you know the feeling", "I mean it").
PARENTHETICAL = re.compile(
    r"(?:^|[,;.!?—–]\s*)(?:you know|i mean|like)(?=\s*(?:[,;.!?—–]|$))", re.IGNORECASE
)
#: Back-channel turns of a conversation ("yeah", "right", "mm-hmm"), a sign of cross-talk.
BACKCHANNEL_WORDS: frozenset[str] = wordset(
    """yeah yes yep yup right sure okay ok mhm mm hmm uh-huh exactly totally absolutely
    wow oh ah no nope sorry go ahead true really interesting cool nice haha"""
)
#: Words a listener reacts with, judging what was just said ("Wow.", "That's so true.",
#: "I love that.", "That's a really good point.").
REACTION_WORDS: frozenset[str] = wordset(
    """wow ouch gosh blimey amazing beautiful brilliant lovely great good incredible
    fascinating interesting wonderful fantastic awesome cool nice true scary terrifying
    reassuring funny hilarious love loved agree fair wild crazy mad insane unbelievable
    remarkable extraordinary stunning perfect classic horrible awful terrible sad
    heartbreaking impressive clever smart brave sweet adorable"""
)
#: What such a reaction may judge: "a good point", "a great image", "fair enough".
REACTION_NOUNS: frozenset[str] = wordset(
    "point idea image story advice question thought one line enough"
)
#: Interjections a reaction may open on before its judging clause ("Oh, that's awful.").
INTERJECTIONS: frozenset[str] = wordset("oh ah ooh aw aww huh man god")
#: How a reaction may open besides on its judging word: "That's ...", "What a ...", "I love ...".
REACTION_LEADS: frozenset[str] = wordset(
    "that's that what how i so oh ah really very such absolutely totally quite pretty bit"
)
#: Pronouns of a third person: a short line about one tells of someone, it does not answer.
THIRD_PERSON: frozenset[str] = wordset("he she they him her them he's she's they're")
#: Subjects a speaker's own short statement opens on ("It isn't.", "I didn't have one.").
NARRATING_SUBJECTS: frozenset[str] = wordset("i it we i'd i've i'm it's we'd we've we're")
#: Conjunctions that, opening a short line, carry on the speaker's own sentence.
LINKING_OPENERS: frozenset[str] = wordset("and because but so or")

#: Common verbs (base forms). A keyphrase should name a topic, and "prices dropped" or
#: "tasks keep" are clauses; see `is_verb_like`.
COMMON_VERBS: frozenset[str] = wordset(
    """be have do say get make go know take see come think look want give use find tell ask
    work seem feel try leave call keep let begin show hear play run move live believe hold
    bring happen write provide sit stand lose pay meet include continue set learn change
    lead understand watch follow stop create speak read allow add spend grow open walk win
    offer remember love consider appear buy wait serve die send expect build stay fall cut
    reach kill remain suggest raise pass sell require report decide pull treat remove
    explain hope develop carry break receive agree support hit produce eat cover catch draw
    choose cause point listen realise realize wonder tend sound turn start help talk put
    mean become drop fix protect prove save ship test track count spread matter reduce
    improve notice fail miss end study tastes taste circle circling
    was were been did had said got made came went took gave found told thought knew felt
    left kept began brought bought wrote ran sat stood lost paid met led understood spoke
    grew won fell held heard sent spent built broke chose drew ate caught became seemed"""
)


def is_verb_like(word: str) -> bool:
    """Whether `word` is an inflection of a common verb ("makes", "dropped", "keeping")."""
    w = word.lower()
    if w in COMMON_VERBS:
        return True
    for suffix, repl in (
        ("s", ""),
        ("es", ""),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("ing", ""),
        ("ing", "e"),
        ("ies", "y"),
        ("ied", "y"),
    ):
        if w.endswith(suffix) and w[: len(w) - len(suffix)] + repl in COMMON_VERBS:
            return True
    return w[:-3] in COMMON_VERBS if w.endswith(("ped", "ted", "ned")) and len(w) > 5 else False


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
