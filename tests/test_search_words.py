"""The search stems words with the compiled Snowball stemmers (PyStemmer), which must give exactly the stems of the
pure-Python ones: an index and the queries against it must agree whichever of the two a machine has."""

from __future__ import annotations

import re

import Stemmer
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.swedish_stemmer import SwedishStemmer

from catalogue.publish import search_words

from .conftest import ROOT


def _words() -> list[str]:
    found: set[str] = set()
    for folder in ("examples", "vocab", "tests/fixtures"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".ttl", ".xml", ".json", ".csv", ".html", ".jsonld", ".nt"}:
                found.update(re.findall(r"[^\W_]+", path.read_text(encoding="utf-8", errors="ignore").casefold()))
    return sorted(found)


def test_the_search_uses_the_compiled_stemmers():
    assert all(isinstance(stemmer, Stemmer.Stemmer) for stemmer in search_words._STEMMERS.values())


def test_the_compiled_stemmers_give_the_pure_python_stems_on_every_word_of_the_examples():
    words = _words()
    assert len(words) > 10_000
    for compiled, python in ((Stemmer.Stemmer("swedish"), SwedishStemmer()), (Stemmer.Stemmer("english"), EnglishStemmer())):
        differ = [(word, compiled.stemWord(word), python.stemWord(word)) for word in words
                  if compiled.stemWord(word) != python.stemWord(word)]
        assert differ == []
    assert search_words.stems("solceller") == search_words.stems("solcell")
