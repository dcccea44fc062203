"""The derivation rules' mapping tables, loaded once from ``vocab/derivation/`` and ``vocab/*.ttl``.

The CSV files are the rules' knowledge, kept as data so that a reviewer can read and correct
them without reading code (their sources are in ``vocab/derivation/README.md``). The few facts
taken from the catalogue's own SKOS files (which ISCED-F codes, countries and languages exist,
and their labels and codes) are read with a plain-text scan of those files' regular layout, so
that the rules stay free of any RDF library or store.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from catalogue.resources import data_dir

ISCED_PREFIX = "http://data.europa.eu/snb/isced-f/"
COUNTRY_PREFIX = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE_PREFIX = "http://publications.europa.eu/resource/authority/language/"

# The code lists a feed may use for its subjects, and the table that maps each to ISCED-F.
CODE_TABLES = {
    "sun-2020": "sun-2020.csv",
    "hecos": "hecos.csv",
    "jacs": "jacs.csv",
    "ldcs": "ldcs.csv",
    "cip": "cip.csv",
    "isced-97": "isced-97.csv",
}


def derivation_dir() -> Path:
    return data_dir("vocab") / "derivation"


def _rows(name: str) -> list[dict[str, str]]:
    path = derivation_dir() / name
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(lines)]


# -- text normalisation shared by the rules ---------------------------------------------------

_APOSTROPHES = str.maketrans({"’": " ", "'": " ", "`": " ", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, NFKC, German ß as ss, apostrophes as spaces: the form stems and texts meet in."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# A token is a run of letters or digits; hyphens inside a word join it ("IT-säkerhet" is one
# compound), a trailing hyphen ("styr- och regler…") is dropped.
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Token:
    text: str  # folded, hyphens removed
    original: str  # as written, hyphens removed (for case-sensitive acronyms such as "IT")


def tokens(text: str) -> list[Token]:
    """The words of ``text`` in order."""
    prepared = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return [Token(fold(raw), raw) for raw in (match.group(0).replace("-", "") for match in _TOKEN.finditer(prepared))]


# -- code tables (SUN 2020, HECoS, JACS, LDCS/SSA, CIP, ISCED 1997 -> ISCED-F 2013) ---------------

@dataclass(frozen=True)
class CodeMapping:
    code: str
    label: str
    isced_f: str  # empty: the code spans several ISCED-F fields, so it decides nothing
    confidence: float
    note: str


@lru_cache(maxsize=16)
def code_table(scheme: str) -> dict[str, CodeMapping]:
    table = {}
    for row in _rows(CODE_TABLES[scheme]):
        code = row["code"].upper()
        table[code] = CodeMapping(code, row["label"], row["isced_f"], float(row["confidence"]), row.get("note", ""))
    return table


# -- keywords ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Keyword:
    language: str  # "sv", "en", "de", "nl", "fr", or "*" for terms every language uses
    stem: str  # as written in the table
    words: tuple[str, ...]  # folded words; the last may match as a prefix (see ``mode``)
    mode: str  # "prefix", "exact" (=word), "tail" (word$: end of a compound), "start" (^word), "case" (!WORD)
    isced_f: str
    weight: float


def _keyword(row: dict[str, str]) -> Keyword:
    stem = row["stem"]
    mode, body = "prefix", stem
    for marker, name in (("=", "exact"), ("^", "start"), ("!", "case")):
        if stem.startswith(marker):
            mode, body = name, stem[1:]
    if stem.endswith("$"):
        mode, body = "tail", stem[:-1]
    words = tuple(token.original if mode == "case" else token.text for token in tokens(body))
    if not words:
        raise ValueError(f"keywords.csv: empty stem {stem!r}")
    return Keyword(row["language"], stem, words, mode, row["isced_f"], float(row["weight"]))


@lru_cache(maxsize=1)
def keywords() -> tuple[Keyword, ...]:
    return tuple(_keyword(row) for row in _rows("keywords.csv"))


# -- postcodes, web domains, country names ----------------------------------------------------

@dataclass(frozen=True)
class PostcodePattern:
    country: str  # ISO 3166-1 alpha-3 (= the EU authority code)
    pattern: re.Pattern[str]
    confidence: float
    note: str


@lru_cache(maxsize=1)
def postcode_patterns() -> tuple[PostcodePattern, ...]:
    return tuple(
        PostcodePattern(row["country"], re.compile(row["regex"]), float(row["confidence"]), row["note"])
        for row in _rows("postcodes.csv")
    )


@dataclass(frozen=True)
class DomainCountry:
    tld: str
    country: str
    confidence: float
    note: str


@lru_cache(maxsize=1)
def domain_countries() -> dict[str, DomainCountry]:
    return {
        row["tld"].lower().lstrip("."): DomainCountry(row["tld"].lower().lstrip("."), row["country"], float(row["confidence"]), row["note"])
        for row in _rows("domains.csv")
    }


def name_key(text: str) -> str:
    """How a country or language name is looked up: folded, accents and punctuation ignored."""
    key = strip_accents(fold(text))
    key = re.sub(r"[^\w]+", " ", key).strip()
    return re.sub(r"^the ", "", key)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every name and code of a country in ``vocab/country.ttl`` (and ``country-names.csv``) -> alpha-3."""
    names: dict[str, str] = {}
    for iri, concept in concepts("country.ttl").items():
        code = iri.removeprefix(COUNTRY_PREFIX)
        for text in (code, concept.notation, *(label for label, _ in concept.labels)):
            if text:
                names.setdefault(name_key(text), code)
    known = set(names.values())
    for row in _rows("country-names.csv"):
        if row["country"] in known:
            names.setdefault(name_key(row["name"]), row["country"])
    return names


# -- the catalogue's SKOS files, scanned as text --------------------------------------------------

@dataclass(frozen=True)
class ConceptText:
    notation: str
    labels: tuple[tuple[str, str], ...]  # (label, language tag or ""): preferred labels first, then the others


_CONCEPT = re.compile(r"^<([^>]+)> a skos:Concept\b(.*?)(?=^<|\Z)", re.MULTILINE | re.DOTALL)
_LITERALS = re.compile(
    r"skos:(prefLabel|altLabel|hiddenLabel|notation)\s+((?:\"[^\"]*\"(?:@[A-Za-z-]+|\^\^\S+)?\s*,?\s*)+)"
)
_LITERAL = re.compile(r"\"([^\"]*)\"(?:@([A-Za-z-]+))?")


@lru_cache(maxsize=16)
def concepts(filename: str) -> dict[str, ConceptText]:
    """The concepts of one ``vocab/*.ttl`` file with their notation and labels (all languages)."""
    text = (data_dir("vocab") / filename).read_text(encoding="utf-8")
    found = {}
    for match in _CONCEPT.finditer(text):
        notation, preferred, other = "", [], []
        for predicate, literals in _LITERALS.findall(match.group(2)):
            for value, lang in _LITERAL.findall(literals):
                if predicate == "notation":
                    notation = value
                else:
                    (preferred if predicate == "prefLabel" else other).append((value, lang.lower()))
        found[match.group(1)] = ConceptText(notation, tuple(preferred + other))
    return found


def label(concept: ConceptText, lang: str) -> str:
    for text, tag in concept.labels:
        if tag == lang:
            return text
    return concept.notation


@lru_cache(maxsize=1)
def isced_codes() -> dict[str, ConceptText]:
    """ISCED-F 2013 code -> its concept in ``vocab/isced-f.ttl`` (only codes that exist there)."""
    return {iri.removeprefix(ISCED_PREFIX): concept for iri, concept in concepts("isced-f.ttl").items()}


@lru_cache(maxsize=1)
def language_tags() -> dict[str, str]:
    """Language codes and tags (ISO 639-1/2/3, locale tags) -> EU authority code, from ``vocab/language.ttl``."""
    tags: dict[str, str] = {}
    code_like = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
    for iri, concept in concepts("language.ttl").items():
        code = iri.removeprefix(LANGUAGE_PREFIX)
        tags.setdefault(code.lower(), code)
        if concept.notation:
            tags.setdefault(concept.notation.lower(), code)
        for text, lang in concept.labels:
            if not lang and code_like.match(text):
                tags.setdefault(text.lower(), code)
    return tags


# -- study modes and schedules ----------------------------------------------------------------------

@dataclass(frozen=True)
class ModePhrase:
    language: str
    phrase: str
    words: tuple[str, ...]
    kind: str  # "mode" or "schedule"
    concept: str  # full IRI
    confidence: float


@lru_cache(maxsize=1)
def mode_phrases() -> tuple[ModePhrase, ...]:
    return tuple(
        ModePhrase(row["language"], row["phrase"], tuple(t.text for t in tokens(row["phrase"])), row["kind"], row["concept"], float(row["confidence"]))
        for row in _rows("modes.csv")
    )
