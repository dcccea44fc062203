"""The language a learner needs, in the words of an offer's entry requirements, and the CEFR level where they state one.

Entry requirements are free text ("Grundläggande behörighet samt Svenska 3", "English at level B2", "Englisch auf
Niveau B2", "Svenska på nivå motsvarande SFI kurs D"). The text is cut into clauses (sentences, and the parts of a
sentence between commas and semicolons); a clause states a language requirement when it names

* a CEFR level (A1 … C2, also "B2.1") together with a language ("engelska", "English", "Deutsch" …) or the framework
  itself ("CEFR", "GERS", "GER", "Common European Framework", "referensram" …): a **CEFR level** is derived from it;
* a Swedish school course in a language ("Svenska 3", "Svenska som andraspråk 3", "Engelska 6", "SFI kurs D"), a
  language test (IELTS, TOEFL, TestDaF, Tisus …), or a language together with a word for knowing it ("kunskaper i
  finska", "good command of English", "Deutschkenntnisse"): a requirement is **stated**, with no level.

No level is ever inferred from a course or a test (Engelska 6 and SFI kurs D have no official CEFR equivalence).
A clause that says no language is needed ("Inga förkunskaper i finska krävs", "No knowledge of Dutch required")
states nothing. The clauses are kept word for word, in the language of the text they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalogue.namespaces import TOPIC
from catalogue.vocab import CEFR_SCHEME

from .result import Derived

LANGUAGE_REQUIREMENT_TOPIC = TOPIC + "language-requirement"

_LEVEL = re.compile(r"(?<![A-Za-z0-9])([ABC][12])(?:[.,][12])?(?![A-Za-z0-9])")
# Language names (stems) in Swedish, English, German, Dutch, French and Finnish.
_LANGUAGES = re.compile(
    r"(?i)\b(?:engelsk|english|englisch|anglais|engels|englan|svensk|swedish|schwedisch|suédois|zweeds|ruotsi|"
    r"tysk|german|deutsch|allemand|duits|saksa|fransk|french|französisch|français|frans|ranska|spansk|spanish|spanisch|"
    r"espagnol|spaans|espanja|finsk|finnish|finnisch|finnois|fins\b|suome|nederländsk|holländsk|dutch|niederländisch|"
    r"néerlandais|nederlands|norsk|norwegian|norwegisch|dansk|danish|dänisch|italiensk|italian|italienisch|italien|"
    r"italiaans|arabisk|arabic|arabisch|ryska|russian|russisch|polsk|polish|polnisch|portugis|portuguese|kinesisk|"
    r"chinese|chinesisch|japansk|japanese|japanisch|teckenspråk|sign language|gebärdensprache|samisk|sami)\w*"
)
_FRAMEWORK = re.compile(
    r"(?i)\b(?:cefr|gers|ger|cecr|cecrl|erk|cef)\b|referensram|reference framework|common european framework|"
    r"referenzrahmen|referentiekader|cadre européen|viitekehys"
)
_COURSES = re.compile(
    r"(?i)\b(?:svenska som andraspråk|svenska|engelska|moderna språk|sfi)\s*(?:kurs\s*)?(?:\d|[a-d]\b|grund)|"
    r"\bsfi\b|\b(?:ielts|toefl|testdaf|dsh|tisus|swedex|delf|dalf|goethe-zertifikat|cambridge (?:english|advanced|first|proficiency))\b"
)
_LANG = _LANGUAGES.pattern[4:]  # the names without their (?i) flag, to build the phrases below
# A language together with knowing it, as a phrase: "kunskaper i finska", "knowledge of English", "Kenntnisse in Deutsch",
# "Engelska motsvarande …", "English at level …", "Englisch auf Niveau …", "svenskkunskaper", "fluent in English".
_KNOWING = re.compile(
    r"(?i)(?:kunskap\w*|kunna|behärska|knowledge|command|proficiency|skills|kenntnisse|kennis|beheersing|connaissances?|maîtrise|taito)"
    r"\s+(?:(?:i|in|of|van|de|du|des|the|het|good|goda|gute|very|mycket)\s+){1,3}" + _LANG + "|"
    + _LANG + r"\s+(?:(?:language|språk)\s+)?(?:på\s+nivå|motsvarande|at\s+(?:a\s+)?level|auf\s+(?:dem\s+)?niveau|op\s+niveau|au\s+niveau|"
    r"equivalent|skills|proficiency|kunskaper|kenntnisse|vaardigheid)|"
    r"(?:engelsk|svensk|tysk|fransk|spansk|finsk|norsk|dansk|språk)kunskaper|(?:englisch|deutsch|sprach|französisch|spanisch)kenntnisse|"
    r"taalvaardigheid|(?:fluent\s+in|flytande\s+(?:på|i)|fließend(?:es)?|vloeiend)\s+" + _LANG
)
# Saying that no language is needed: "Inga förkunskaper i finska krävs", "No prior knowledge of Dutch required".
_NONE_NEEDED = re.compile(
    r"(?i)\b(?:inga|ingen|inget)\s+(?:\w+\s+)?(?:förkunskaper|kunskaper|krav|förkunskapskrav)|\bkrävs\s+(?:inte|ej)\b|"
    r"\bbehövs\s+(?:inte|ej)\b|\bno\s+(?:\w+\s+)?(?:knowledge|requirements?|skills|experience)\b|\bnot\s+(?:required|needed|necessary)\b|"
    r"\bkeine\s+(?:\w+\s+)?(?:kenntnisse|vorkenntnisse|voraussetzungen)\b|\bnicht\s+erforderlich\b|"
    r"\bgeen\s+(?:\w+\s+)?(?:kennis|voorkennis|vereisten)\b|\bniet\s+vereist\b|\baucun(?:e)?\s+(?:prérequis|connaissance)|\bei\s+vaadita\b"
)
_LEADING = re.compile(r"(?i)^(?:and|or|och|samt|eller|und|oder|en|of|et|ou|ja|tai)\s+")
_CLAUSES = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|,\s+")


@dataclass(frozen=True)
class LanguageRequirement:
    level: str | None  # "B2", or None when the requirement names no CEFR level
    texts: dict[str, str]  # the clauses that state it, per language tag of the text they came from
    derived: Derived


def derive_language_requirements(texts: list[tuple[str, str | None]]) -> list[LanguageRequirement]:
    """The language requirements stated in entry-requirement ``texts`` ((text, language tag or None)): one per CEFR
    level stated, and one for the requirements that state no level; empty when no language requirement is stated."""
    groups: dict[str | None, dict[str, list[str]]] = {}
    for text, lang in texts:
        for clause in _clauses(text):
            levels = _levels(clause)
            if not levels and not _states_requirement(clause):
                continue
            for level in levels or [None]:
                found = groups.setdefault(level, {}).setdefault(lang or "", [])
                if clause not in found:
                    found.append(clause)
    out = []
    for level in sorted(groups, key=lambda key: (key is None, key or "")):
        by_lang = {lang: " … ".join(clauses) for lang, clauses in groups[level].items()}
        out.append(LanguageRequirement(level, by_lang, _derived(level, by_lang)))
    return out


def _clauses(text: str) -> list[str]:
    plain = re.sub(r"[ \t\u00a0]+", " ", re.sub(r"<[^>]+>", " ", text or ""))
    clauses = (_LEADING.sub("", c.strip(" .;,")) for c in _CLAUSES.split(plain) if c)
    return [c for c in clauses if c]


def _levels(clause: str) -> list[str]:
    if _NONE_NEEDED.search(clause):
        return []
    if not (_LANGUAGES.search(clause) or _FRAMEWORK.search(clause)):
        return []  # "Körkort C1", "B2-körkort": a level code with no language is no language level
    return list(dict.fromkeys(match.group(1).upper() for match in _LEVEL.finditer(clause)))


def _states_requirement(clause: str) -> bool:
    if _NONE_NEEDED.search(clause):
        return False
    return bool(_COURSES.search(clause) or _KNOWING.search(clause))


def _derived(level: str | None, texts: dict[str, str]) -> Derived:
    first = next(iter(texts.values()))
    quoted_en = f"“{texts.get('en') or first}”"
    quoted_sv = f"”{texts.get('sv') or texts.get('en') or first}”"
    if level is not None:
        rule = "language-requirement/cefr"
        return Derived(
            value=CEFR_SCHEME + level, confidence=0.9, rule=rule, evidence="; ".join(f"“{text}” ({lang or '?'})" for lang, text in texts.items()),
            explanation={
                "en": f"The entry requirements state CEFR level {level}: {quoted_en} (rule {rule}).",
                "sv": f"Behörighetskraven anger nivå {level} i den gemensamma europeiska referensramen för språk (GERS): {quoted_sv} (regel {rule}).",
            },
        )
    rule = "language-requirement/stated"
    return Derived(
        value=LANGUAGE_REQUIREMENT_TOPIC, confidence=0.85, rule=rule, evidence="; ".join(f"“{text}” ({lang or '?'})" for lang, text in texts.items()),
        explanation={
            "en": f"The entry requirements state what language a learner needs, without a CEFR level: {quoted_en} (rule {rule}).",
            "sv": f"Behörighetskraven anger vilket språk den som söker behöver kunna, utan GERS-nivå: {quoted_sv} (regel {rule}).",
        },
    )
