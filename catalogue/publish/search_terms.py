"""Text matching at a million offers: the offers of each frequent term kept at publish time.

FTS5 finds the offers of a term by reading its whole list of postings: about 0.3 µs an offer, so a word
that a fifth of a million offers use costs 60 ms before anything else is done, whatever the filters. The
common words of a catalogue are few, so each term that at least ``FREQUENT_SHARE`` of the offers use (and
``FREQUENT_LEAST``) is kept here as a bitmap of its offers, per scope: the offers' texts (titles,
descriptions, learning outcomes, provider names), their stems, and their titles (the first tier of
relevance). The vocabulary (every term with its number of offers, from FTS5's own ``fts5vocab``, so terms
are FTS5's tokens) is kept too, so a prefix ("vård" finds "vården") is expanded by bisection: its frequent
terms are unions of bitmaps, and its rare terms, each on at most a few thousand offers, are one FTS5
query of exact terms. A prefix with very many rare terms, or a word FTS5 would split or fold otherwise,
is asked of FTS5 as a prefix, as before.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Iterable

from pyroaring import BitMap

from . import search_words

SCHEMA = """
CREATE TABLE terms (scope TEXT NOT NULL, term TEXT NOT NULL, offers INTEGER NOT NULL, members BLOB,
                    PRIMARY KEY (scope, term));
"""
# Scope -> the FTS5 columns it covers, as a column filter.
SCOPES = {"text": "{title description outcomes provider}", "stems": "stems", "title": "title"}
COLUMN_SCOPES = {"title": ("text", "title"), "description": ("text",), "outcomes": ("text",), "provider": ("text",), "stems": ("stems",)}
FREQUENT_SHARE = 1 / 500
FREQUENT_LEAST = 1000
MOST_RARE_TERMS = 300  # more rare terms under one prefix than this, and the prefix goes to FTS5 as it is


def frequent_from(offers: int) -> int:
    return max(FREQUENT_LEAST, int(offers * FREQUENT_SHARE))


def write_terms(db: sqlite3.Connection, offers: int, fresh_from: int | None = None, stale: Iterable[int] = ()) -> None:
    """Keep the vocabulary of ``offer_text`` and the offers of its frequent terms.

    Patching (``fresh_from``: the first row number added; ``stale``: rows removed), the bitmaps kept are
    updated with the added rows only (FTS5 seeks to a rowid), and terms that became frequent get theirs."""
    counted: dict[tuple[str, str], int] = {}
    db.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, offer_text, 'col')")
    try:
        for term, column, docs in db.execute("SELECT term, col, doc FROM temp.vocabulary"):
            for scope in COLUMN_SCOPES.get(column, ()):
                # Over several columns this counts an offer once per column: an upper bound, enough to choose.
                counted[(scope, term)] = counted.get((scope, term), 0) + docs
    finally:
        db.execute("DROP TABLE temp.vocabulary")
    kept: dict[tuple[str, str], BitMap] = {}
    if fresh_from is not None:
        gone = BitMap(stale)
        for scope, term, members in db.execute("SELECT scope, term, members FROM terms WHERE members IS NOT NULL"):
            if (scope, term) in counted:
                found = BitMap.deserialize(members)
                found.difference_update(gone)
                found.update(_offers(db, scope, term, fresh_from))
                kept[(scope, term)] = found
    least = frequent_from(offers)
    for pair, docs in counted.items():
        if docs >= least and pair not in kept:
            kept[pair] = BitMap(_offers(db, *pair))
    db.execute("DELETE FROM terms")
    db.executemany("INSERT INTO terms VALUES (?, ?, ?, ?)", (
        (scope, term, len(kept[(scope, term)]) if (scope, term) in kept else docs, _packed(kept.get((scope, term))))
        for (scope, term), docs in counted.items()))


def _offers(db: sqlite3.Connection, scope: str, term: str, first: int | None = None) -> Iterable[int]:
    sql = "SELECT group_concat(rowid) FROM offer_text WHERE offer_text MATCH ?" + (" AND rowid >= ?" if first is not None else "")
    found = db.execute(sql, (f'{SCOPES[scope]} : {_quoted(term)}', *(() if first is None else (first,)))).fetchone()[0]
    return map(int, found.split(",")) if found else ()


def _packed(members: BitMap | None) -> bytes | None:
    if members is None:
        return None
    members.run_optimize()
    return members.serialize()


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class Terms:
    """The vocabulary and frequent terms' offers of one published index, for matching a search's words."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.sorted: dict[str, list[str]] = {scope: [] for scope in SCOPES}
        self.members: dict[tuple[str, str], BitMap] = {}
        for scope, term, members in db.execute("SELECT scope, term, members FROM terms ORDER BY scope, term"):
            self.sorted[scope].append(term)
            if members is not None:
                self.members[(scope, term)] = BitMap.deserialize(members)

    def matching(self, groups: list[list[str]], title_only: bool = False) -> BitMap:
        """The offers with, for every group, one of its words (or a stem of one) as the prefix of a term."""
        found: BitMap | None = None
        for group in sorted(groups, key=len):
            prefixes: list[tuple[str, str]] = []
            for word in group:
                folded = search_words.fold(word)
                if title_only:
                    prefixes += [("title", p) for p in (folded, *search_words.stems(word))]
                else:
                    prefixes += [("text", folded)] + [("stems", s) for s in search_words.stems(word)]
            members = self._any_prefix(list(dict.fromkeys(prefixes)))
            found = members if found is None else found & members
            if not found:
                break
        return found if found is not None else BitMap()

    def _any_prefix(self, prefixes: list[tuple[str, str]]) -> BitMap:
        frequent: list[BitMap] = []
        rare: dict[str, list[str]] = {}
        asked_whole: list[str] = []
        for scope, prefix in prefixes:
            terms = self.sorted[scope]
            first = bisect_left(terms, prefix)
            last = bisect_left(terms, prefix + "\U0010ffff", first)
            under = terms[first:last]
            uncommon = [t for t in under if (scope, t) not in self.members]
            if not prefix.isascii() or not prefix.isalnum() or len(uncommon) > MOST_RARE_TERMS:
                asked_whole.append(f"{SCOPES[scope]} : {_quoted(prefix)}*")
                continue
            frequent += [self.members[(scope, t)] for t in under if (scope, t) in self.members]
            rare.setdefault(scope, []).extend(uncommon)
        asked = asked_whole + [f"{SCOPES[scope]} : ({' OR '.join(_quoted(t) for t in terms)})" for scope, terms in rare.items() if terms]
        if asked:
            rows = self.db.execute("SELECT group_concat(rowid) FROM offer_text WHERE offer_text MATCH ?", (" OR ".join(asked),)).fetchone()[0]
            if rows:
                frequent.append(BitMap(map(int, rows.split(","))))
        return BitMap.union(*frequent) if frequent else BitMap()
