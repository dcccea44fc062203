"""Study modes (online, on site, blended, work-based) and schedules (full or part time) from study-mode texts.

Phrases in ``vocab/derivation/modes.csv`` (English, Swedish, German, Dutch, French) are matched as whole words,
the last word also as the start of a longer one ("distans" in "distansutbildning"); where phrases overlap the
longest wins ("distans med träffar" is blended, not online). A phrase right after a negation ("inte på distans",
"kein Fernstudium") is ignored. A study pace given as a percentage ("50 % studietakt") gives the schedule.
A text naming both online and on-site study yields both modes: whether it means a mix or a choice, the text
does not say, and this rule does not guess.
"""

from __future__ import annotations

import re

from . import tables
from .result import Derived
from .tables import ModePhrase, Token

NEGATIONS = {"not", "no", "non", "inte", "ej", "ingen", "icke", "kein", "keine", "keinen", "nicht", "geen", "niet", "pas", "sans"}
MIN_INFIX = 7
FULL_TIME = "http://data.europa.eu/snb/learning-schedule/72a0ab92fa"
PART_TIME_INTENSIVE = "http://data.europa.eu/snb/learning-schedule/f230bae523"
PART_TIME_LIGHT = "http://data.europa.eu/snb/learning-schedule/67395e6b5a"

_PACE_WORDS = r"(?:studietakt|studietempo|studiefart|takt|fart|pace|study pace|studieintensität|studiebelasting|rythme)"
_PERCENT_AFTER = re.compile(rf"(\d{{2,3}})\s?%\s*(?:{_PACE_WORDS}|of full[- ]time|av heltid|(?:der )?vollzeit)", re.IGNORECASE)
_PERCENT_BEFORE = re.compile(rf"{_PACE_WORDS}\W{{0,12}}?(\d{{2,3}})\s?%", re.IGNORECASE)


def derive_modes(texts: list[str]) -> list[Derived]:
    """The modes and schedules the texts state, one ``Derived`` per concept, modes first."""
    found: dict[str, tuple[float, str, str, str]] = {}  # concept -> (confidence, kind, phrase, text)
    for text in texts:
        plain = " ".join(re.sub(r"<[^>]+>", " ", text or "").split())
        if not plain:
            continue
        for phrase in _phrases_in(plain):
            _keep(found, phrase.concept, phrase.confidence, phrase.kind, phrase.phrase, plain)
        pace = _pace(plain)
        if pace:
            _keep(found, *pace, plain)
    ordered = sorted(found.items(), key=lambda item: (item[1][1] != "mode", -item[1][0]))
    return [_result(concept, *details) for concept, details in ordered]


def _keep(found: dict[str, tuple[float, str, str, str]], concept: str, confidence: float, kind: str, phrase: str, text: str) -> None:
    if concept not in found or confidence > found[concept][0]:
        found[concept] = (confidence, kind, phrase, text)


def _phrases_in(text: str) -> list[ModePhrase]:
    words = tables.tokens(text)
    hits: list[tuple[int, int, int, ModePhrase]] = []  # (start token, start offset, end token, phrase)
    for position, token in enumerate(words):
        for phrase in tables.mode_phrases():
            at = _match(phrase, words, position)
            if at is not None:
                hits.append((position, at, position + len(phrase.words) - 1, phrase))
    kept = []
    for start, at, end, phrase in hits:
        longer = any(
            (s, e) != (start, end) and s <= start and end <= e or ((s, e) == (start, end) and len(p.phrase) > len(phrase.phrase))
            for s, _, e, p in hits
        )
        negated = at == 0 and start > 0 and words[start - 1].text in NEGATIONS and phrase.words[0] not in NEGATIONS
        if not longer and not negated:
            kept.append(phrase)
    return kept


def _match(phrase: ModePhrase, words: list[Token], position: int) -> int | None:
    """The offset in ``words[position]`` where ``phrase`` starts, or None."""
    if position + len(phrase.words) > len(words):
        return None
    if len(phrase.words) == 1:
        word, text = phrase.words[0], words[position].text
        if text.startswith(word):
            return 0
        if len(word) >= MIN_INFIX and word in text:
            return text.index(word)
        return None
    for offset, word in enumerate(phrase.words):
        text = words[position + offset].text
        # Inner words must be whole ("på plats"); the last, and a long first word, may start a compound
        # ("distansutbildning med träffar").
        loose = offset == len(phrase.words) - 1 or (offset == 0 and len(word) >= 4)
        if not (text.startswith(word) if loose else text == word):
            return None
    return 0


def _pace(text: str) -> tuple[str, float, str, str] | None:
    match = _PERCENT_AFTER.search(text) or _PERCENT_BEFORE.search(text)
    if not match:
        return None
    percent = int(match.group(1))
    if not 10 <= percent <= 100:
        return None
    concept = FULL_TIME if percent == 100 else PART_TIME_INTENSIVE if percent >= 50 else PART_TIME_LIGHT
    return concept, 0.9, "schedule", match.group(0).strip()


def _result(concept: str, confidence: float, kind: str, phrase: str, text: str) -> Derived:
    filename = "learning-assessment.ttl" if kind == "mode" else "learning-schedule.ttl"
    labels = tables.concepts(filename)[concept]
    rule = "participation/text" if kind == "mode" else "schedule/text"
    what_en, what_sv = ("study mode", "Studieformen") if kind == "mode" else ("study pace", "Studietakten")
    shown = text if len(text) <= 80 else text[:79] + "…"
    return Derived(
        value=concept,
        confidence=confidence,
        rule=rule,
        evidence=f"“{phrase}” in “{shown}”",
        explanation={
            "en": f"The {what_en} “{tables.label(labels, 'en')}” was derived from the words “{phrase}” in the course's "
            f"description of how it is studied (rule {rule}).",
            "sv": f"{what_sv} ”{tables.label(labels, 'sv')}” härleddes från orden ”{phrase}” i kursens beskrivning "
            f"av hur den läses (regel {rule}).",
        },
    )
