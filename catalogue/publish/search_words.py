"""How the search reads words: Swedish and English stems, words that only say what kind of thing is wanted, and
a small table of other words an offer may use (``vocab/search/words.csv``, kept as data).

"solceller" finds "solcell" (both stem to "solcell"), "vård" finds "undersköterska i vården" (the stem "vård" as
a prefix), and "jobb inom vården" finds offers about care work ("jobb" and "inom" say what kind of thing is
wanted; "vården" also means "omvårdnad", "undersköterska" …). Compounds are found by their first part
("solcell" finds "solcellsanläggning"), not by a later one.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from catalogue.resources import data_dir

_STEMMERS = {"sv": snowballstemmer.stemmer("swedish"), "en": snowballstemmer.stemmer("english")}


# Letters and digits of any script (``str.isalnum``): a word character that is not an underscore.
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The word's Swedish and English stems, accents folded (the index folds accents too)."""
    return tuple(dict.fromkeys(fold(stemmer.stemWord(word)) for stemmer in _STEMMERS.values()))


def stem_text(text: str) -> str:
    """Every word of ``text`` as its stems: the index's column the search matches stems against."""
    return " ".join(dict.fromkeys(s for word in words(text) for s in stems(word)))


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    ignorable: set[str] = set()
    related: dict[str, tuple[str, ...]] = {}
    path = data_dir("vocab") / "search" / "words.csv"
    with path.open(encoding="utf-8") as file:
        for row in csv.DictReader(line for line in file if not line.startswith("#")):
            word, meaning = row["word"].strip().casefold(), row["meaning"].strip()
            if meaning == "-":
                ignorable.add(word)
            elif word:
                related[word] = tuple(m.casefold() for m in meaning.split())
    return frozenset(ignorable), related


def query_groups(text: str) -> list[list[str]]:
    """The words a search must find, each with the other words that may stand for it (the word first)."""
    ignorable, related = _table()
    asked = words(text)
    kept = [w for w in asked if w not in ignorable] or asked  # a search only of such words still searches them
    return [[word, *related.get(word, ())] for word in kept]
