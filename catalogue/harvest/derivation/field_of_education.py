"""The ISCED-F 2013 field of education, from a subject code or, failing that, from the words of titles and labels.

Codes come first: a hit in a mapping table (``vocab/derivation/<scheme>.csv``) carries that row's confidence.
Without a usable code the titles, subject labels and keywords are matched against ``keywords.csv``: every
matching stem adds its weight to its field and to the field's parents, and the most specific field (detailed,
then narrow, then broad) whose confidence reaches the threshold wins. Confidence grows with the winning field's
score and falls with the share other fields take, so a vague or mixed title gives ``None``.

Measured on this machine (2 cores, Python 3.11): one call takes about 0.01 ms for a code and 0.03 ms for a
title of a few words (0.2 ms for four titles and labels) once the tables are loaded; the first call of a
process reads the tables (about 5 ms) and the first keyword match builds the keyword index (about 30 ms).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from . import tables
from .result import Derived
from .tables import ISCED_PREFIX, Keyword, Token

SCHEME_NAMES = {
    "sun-2020": "SUN 2020",
    "hecos": "HECoS",
    "jacs": "JACS",
    "ldcs": "LDCS/SSA",
    "cip": "CIP",
    "isced-97": "ISCED 1997",
    "isced-f": "ISCED-F 2013",
}
# Languages that write compounds as one word: a stem may be found inside a word there ("dataanalys").
COMPOUNDING = {"sv", "de", "nl", "*"}
MIN_INFIX = 5
# Confidence = CEILING * (1 - exp(-score / SCALE)) * sqrt(share of the score): one keyword of weight 1 alone
# gives 0.75, of weight 0.7 gives 0.63, of weight 0.6 gives 0.58 (below the default threshold); two fields
# named by one such keyword each give 0.53 and are left undecided at that level.
SCALE = 0.6
CEILING = 0.92


def derive_field(
    codes: list[tuple[str, str]],
    texts: list[tuple[str, str | None]],
    threshold: float = 0.6,
) -> Derived | None:
    """The most specific ISCED-F field the codes or, failing them, the texts justify; ``None`` if none does.

    ``codes`` are (scheme, code) pairs, scheme one of ``SCHEME_NAMES``; ``texts`` are (text, language tag or None)
    of subject labels, titles and keywords.
    """
    from_codes = _from_codes(codes)
    if from_codes is not None and from_codes.confidence >= threshold:
        return from_codes
    return _from_keywords(texts, threshold)


# -- codes -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Hit:
    isced: str
    confidence: float
    scheme: str
    evidence: str
    evidence_sv: str


def _from_codes(codes: list[tuple[str, str]]) -> Derived | None:
    hits = [hit for scheme, code in codes if (hit := _lookup(scheme, code)) is not None]
    if not hits:
        return None
    distinct = {hit.isced for hit in hits}
    if len(distinct) == 1:
        best = max(hits, key=lambda hit: hit.confidence)
        return _code_result(best.isced, best.confidence, hits)
    common = _common_parent(distinct)
    if common:
        return _code_result(common, round(min(hit.confidence for hit in hits) * 0.9, 3), hits)
    # Codes in different broad fields: a feed lists its main subject first.
    first = hits[0]
    return _code_result(first.isced, round(first.confidence * 0.8, 3), hits)


def _code_result(isced: str, confidence: float, hits: list[_Hit]) -> Derived:
    concept = tables.isced_codes()[isced]
    evidence = "; ".join(dict.fromkeys(hit.evidence for hit in hits))
    evidence_sv = "; ".join(dict.fromkeys(hit.evidence_sv for hit in hits))
    schemes = " and ".join(dict.fromkeys(SCHEME_NAMES[hit.scheme] for hit in hits))
    schemes_sv = " och ".join(dict.fromkeys(SCHEME_NAMES[hit.scheme] for hit in hits))
    rule = f"isced-f/{hits[0].scheme}"
    return Derived(
        value=ISCED_PREFIX + isced,
        confidence=confidence,
        rule=rule,
        evidence=evidence,
        explanation={
            "en": f"The field of education “{tables.label(concept, 'en')}” was derived from {evidence} "
            f"with the catalogue's table from {schemes} to ISCED-F (rule {rule}).",
            "sv": f"Utbildningsinriktningen ”{tables.label(concept, 'sv')}” härleddes från {evidence_sv} "
            f"med katalogens tabell från {schemes_sv} till ISCED-F (regel {rule}).",
        },
    )


# Spellings feeds use for the same code lists.
_ALIASES = {
    "sun": "sun-2020", "sun2020": "sun-2020", "sun 2020": "sun-2020", "isced97": "isced-97", "isced-1997": "isced-97",
    "iscedf": "isced-f", "isced-f-2013": "isced-f", "isced-f 2013": "isced-f", "ssa": "ldcs", "cip2020": "cip", "cip-2020": "cip",
}


def _lookup(scheme: str, code: str) -> _Hit | None:
    scheme = scheme.strip().lower()
    scheme = _ALIASES.get(scheme, scheme)
    if scheme == "isced-f":
        return _isced_f(code)
    if scheme not in tables.CODE_TABLES:
        return None
    table = tables.code_table(scheme)
    for candidate, factor in _candidates(scheme, code):
        row = table.get(candidate)
        if row is None:
            continue
        if not row.isced_f:
            return None  # the code spans several fields: it decides nothing, and neither does its parent
        isced = _existing(row.isced_f)
        if isced is None:
            return None
        label = f" ({row.label})" if row.label else ""
        name = SCHEME_NAMES[scheme]
        return _Hit(isced, round(row.confidence * factor, 3), scheme, f"{name} code {candidate}{label}", f"{name}-koden {candidate}{label}")
    return None


def _candidates(scheme: str, code: str) -> list[tuple[str, float]]:
    """The table keys to try for ``code``, most specific first, each with how much a fallback costs."""
    raw = code.strip().upper()
    if scheme == "sun-2020":
        rest = re.sub(r"^SUN\s*(?:2020|2000)?[\s:-]*", "", raw)
        match = re.match(r"(\d{1,3})([A-Z])?(?![\dA-Z])", rest)
        if not match:
            return []
        digits = match.group(1)
        return [(digits[:n], 1.0 if n == len(digits) else 0.9 ** (len(digits) - n)) for n in range(len(digits), 0, -1)]
    if scheme == "hecos":
        match = re.search(r"\b(10\d{4})\b", raw)
        return [(match.group(1), 1.0)] if match else []
    if scheme == "jacs":
        match = re.search(r"\b([A-Z])(\d{0,3})\b", raw.removeprefix("JACS").strip())
        if not match:
            return []
        letter, digits = match.groups()
        out = [(letter + digits, 1.0)] if len(digits) == 3 else []
        if digits:
            out.append((letter + digits[0] + "00", 1.0 if len(digits) == 3 and digits.endswith("00") else 0.95))
        out.append((letter, 0.9))
        return out
    if scheme == "ldcs":
        # Sector Subject Area tiers ("6.1", "SSA 6.1"); two-letter LDCS codes ("CJ.1") are not in the table.
        match = re.fullmatch(r"(?:SSA\s*)?(?:TIER\s*[12]\s*)?0?(\d{1,2})(?:\.(\d{1,2}))?", raw)
        if not match:
            return []
        tier1, tier2 = match.groups()
        return ([(f"{tier1}.{tier2}", 1.0)] if tier2 else []) + [(tier1, 0.9 if tier2 else 1.0)]
    if scheme == "cip":
        match = re.search(r"(?<!\d)(\d{1,2})(?:\.\d{2}(?:\d{2})?|\d{4})?(?!\d)", raw)
        return [(match.group(1).zfill(2), 1.0)] if match else []
    if scheme == "isced-97":
        match = re.search(r"\b(\d{1,2})(?:\.(\d))?(\d)?\b", raw)
        if not match:
            return []
        digits = match.group(1) + (match.group(2) or "") + (match.group(3) or "")
        return [(digits[:n], 1.0 if n == len(digits) else 0.9 ** (len(digits) - n)) for n in range(len(digits), 0, -1)]
    return []


def _isced_f(code: str) -> _Hit | None:
    existing = tables.isced_codes()
    for digits in re.findall(r"(?<!\d)\d{2,4}(?!\d)", code):
        if digits in existing:
            return _Hit(digits, 0.99, "isced-f", f"ISCED-F code {digits}", f"ISCED-F-koden {digits}")
        if "0" + digits in existing:  # a spreadsheet dropped the leading zero ("613" for 0613)
            return _Hit("0" + digits, 0.9, "isced-f", f"ISCED-F code {digits} (read as 0{digits})", f"ISCED-F-koden {digits} (läst som 0{digits})")
    return None


def _existing(code: str) -> str | None:
    """``code`` if vocab/isced-f.ttl has it, else its nearest parent that it has."""
    existing = tables.isced_codes()
    while code:
        if code in existing:
            return code
        code = code[:-1] if len(code) > 2 else ""
    return None


def _common_parent(codes: set[str]) -> str | None:
    for length in (4, 3, 2):
        parents = {code[:length] for code in codes if len(code) >= length}
        if len(parents) == 1 and all(len(code) >= length for code in codes):
            parent = parents.pop()
            if parent in tables.isced_codes():
                return parent
    return None


# -- keywords --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Match:
    keyword: Keyword
    text: int
    start: tuple[int, int]  # (token index, character offset)
    end: tuple[int, int]
    weight: float


@dataclass(frozen=True)
class _Index:
    by_start: dict[str, tuple[Keyword, ...]]  # first three letters of the first word -> stems
    short: dict[str, tuple[Keyword, ...]]  # first words shorter than three letters
    inner: dict[str, tuple[Keyword, ...]]  # first three letters -> stems that may match inside a word


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_start: dict[str, list[Keyword]] = defaultdict(list)
    short: dict[str, list[Keyword]] = defaultdict(list)
    inner: dict[str, list[Keyword]] = defaultdict(list)
    for keyword in tables.keywords():
        first = keyword.words[0]
        if len(first) < 3:
            short[first.casefold()].append(keyword)
        else:
            by_start[first[:3].casefold()].append(keyword)
        single = len(keyword.words) == 1
        if single and (
            keyword.mode == "tail"
            or (keyword.mode == "prefix" and keyword.language in COMPOUNDING and len(first) >= MIN_INFIX)
        ):
            inner[first[:3]].append(keyword)
    freeze = lambda table: {key: tuple(value) for key, value in table.items()}
    return _Index(freeze(by_start), freeze(short), freeze(inner))


def _language(tag: str | None) -> str | None:
    if not tag:
        return None
    primary = tag.strip().lower().split("-")[0].split("_")[0]
    return {"swe": "sv", "eng": "en", "deu": "de", "ger": "de", "nld": "nl", "dut": "nl", "fra": "fr", "fre": "fr"}.get(primary, primary)


def _factor(keyword_language: str, text_language: str | None) -> float:
    if keyword_language == "*" or text_language is None or keyword_language == text_language:
        return 1.0
    if text_language not in {"sv", "en", "de", "nl", "fr"}:
        return 0.6
    # English words are common in other languages' course titles; other languages' words rarely are.
    return 0.6 if keyword_language == "en" else 0.3


def _word_matches(keyword: Keyword, word: str, token: Token, at: int) -> int | None:
    """Where ``word`` (a keyword's word) ends inside ``token`` when it starts at ``at``, or None."""
    if keyword.mode == "case":
        return len(token.original) if at == 0 and token.original == word else None
    text = token.text
    if keyword.mode == "exact":
        return len(text) if at == 0 and text == word else None
    if keyword.mode == "tail":
        return len(text) if at > 0 and text.endswith(word) and len(text) - len(word) == at else None
    if keyword.mode == "start" and at > 0:
        return None
    return at + len(word) if text.startswith(word, at) else None


def _matches_in(index: int, text: str, language: str | None) -> list[_Match]:
    words = tables.tokens(text)
    found: list[_Match] = []
    for position, token in enumerate(words):
        for keyword, at, stop in _first_word_hits(token.text, token.original):
            end = (position, stop) if len(keyword.words) == 1 else _rest_end(keyword, words, position)
            if end is not None:
                found.append(_Match(keyword, index, (position, at), end, keyword.weight * _factor(keyword.language, language)))
    return found


@lru_cache(maxsize=65536)
def _first_word_hits(text: str, original: str) -> tuple[tuple[Keyword, int, int], ...]:
    """Where a keyword's first word matches a token (keyword, start, end in the token). Titles share most of
    their words, so the scan of a word, its stems and its infixes is done once per distinct word."""
    token = Token(text, original)
    idx = _index()
    hits = []
    for keyword in idx.by_start.get(text[:3], ()) + idx.short.get(text, ()):
        stop = _word_matches(keyword, keyword.words[0], token, 0)
        if stop is not None:
            hits.append((keyword, 0, stop))
    for at in range(1, len(text) - 2):
        for keyword in idx.inner.get(text[at : at + 3], ()):
            stop = _word_matches(keyword, keyword.words[0], token, at)
            if stop is not None:
                hits.append((keyword, at, stop))
    return tuple(hits)


def _rest_end(keyword: Keyword, words: list[Token], position: int) -> tuple[int, int] | None:
    """The end of a phrase keyword whose first word matched at ``position``: its other words must follow whole."""
    if position + len(keyword.words) > len(words):
        return None
    end = None
    for offset, word in enumerate(keyword.words[1:], start=1):
        stop = _word_matches(keyword, word, words[position + offset], 0)
        if stop is None:
            return None
        end = (position + offset, stop)
    return end


def _keep_longest(matches: list[_Match]) -> list[_Match]:
    """Drop a match inside a longer one ("painting" inside "painting and decorating"), and repeats of a stem."""
    kept = []
    for match in matches:
        inside = any(
            other is not match
            and other.text == match.text
            and other.start <= match.start
            and match.end <= other.end
            and (other.start, other.end) != (match.start, match.end)
            for other in matches
        )
        if not inside:
            kept.append(match)
    # The same stem listed for several languages (or found twice) counts once, at its best weight.
    unique: dict[tuple[int, tuple[str, ...], str], _Match] = {}
    for match in kept:
        key = (match.text, match.keyword.words, match.keyword.isced_f)
        if key not in unique or match.weight > unique[key].weight:
            unique[key] = match
    return list(unique.values())


def _from_keywords(texts: list[tuple[str, str | None]], threshold: float) -> Derived | None:
    matches: list[_Match] = []
    for index, (text, tag) in enumerate(texts):
        if text and text.strip():
            matches.extend(_keep_longest(_matches_in(index, text, _language(tag))))
    if not matches:
        return None
    for level in (4, 3, 2):
        scores: dict[str, float] = defaultdict(float)
        for match in matches:
            if len(match.keyword.isced_f) >= level:
                scores[match.keyword.isced_f[:level]] += match.weight
        if not scores:
            continue
        code, top = max(scores.items(), key=lambda item: item[1])
        share = top / sum(scores.values())
        confidence = round(CEILING * math.sqrt(share) * (1 - math.exp(-top / SCALE)), 3)
        if confidence >= threshold and code in tables.isced_codes():
            support = [match for match in matches if match.keyword.isced_f.startswith(code)]
            return _keyword_result(code, confidence, support, texts)
    return None


def _keyword_result(code: str, confidence: float, support: list[_Match], texts: list[tuple[str, str | None]]) -> Derived:
    concept = tables.isced_codes()[code]
    stems = list(dict.fromkeys(match.keyword.stem.strip("=^!$") for match in support))[:4]
    quoted = ", ".join(f"“{stem}”" for stem in stems)
    quoted_sv = ", ".join(f"”{stem}”" for stem in stems)
    sources = list(dict.fromkeys(texts[match.text][0].strip() for match in support))[:2]
    shown = "; ".join(f"“{_short(text)}”" for text in sources)
    return Derived(
        value=ISCED_PREFIX + code,
        confidence=confidence,
        rule="isced-f/keywords",
        evidence=f"keywords {quoted} in {shown}",
        explanation={
            "en": f"The field of education “{tables.label(concept, 'en')}” was derived by keyword matching: "
            f"the words {quoted} in the course's title or subjects point to it (rule isced-f/keywords).",
            "sv": f"Utbildningsinriktningen ”{tables.label(concept, 'sv')}” härleddes genom nyckelordsmatchning: "
            f"orden {quoted_sv} i kursens titel eller ämnen pekar på den (regel isced-f/keywords).",
        },
    )


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
