"""The search index's facet value sets and sort orders, kept at publish time.

Counting facets in SQL is a pass over every facet row of every match: 1.7 s at 100,000 offers for a broad
query, and ten times that at a million. Here each facet value's offers are kept as a compressed bitmap
(Roaring, through ``pyroaring``): a filter is a union within a facet and an intersection across facets, and
a count is the cardinality of one intersection, so a search costs the number of facet values, not the number
of matches. The sizes kept with the sets are the catalogue's own statistics (offers per level, field,
provider ...), read without a scan.

Each sort of the search (``ORDERS``) is kept as the offers' row numbers in that order, with the sort key
beside the offers that have one: a range filter ("starting in May", "at most 7.5 ECTS") is a slice of an
order found by bisection, a page of results is found by walking an order only as far as the page, and the
least and greatest value among the matches by walking it from either end.
"""

from __future__ import annotations

import re
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import reduce

from pyroaring import BitMap

SCHEMA = """
CREATE TABLE value_sets (facet TEXT NOT NULL, value TEXT NOT NULL, size INTEGER NOT NULL, members BLOB NOT NULL,
                         PRIMARY KEY (facet, value));
CREATE TABLE orders (name TEXT PRIMARY KEY, ids BLOB NOT NULL, keys BLOB NOT NULL, keyed INTEGER NOT NULL);
"""

# Sort or range -> (SQL giving the key, SQL ordering every offer; offers without a key come last).
ORDERS = {
    "start": ("o.start_date", "o.start_date IS NULL, o.start_date, o.iri"),
    "-start": ("o.start_date", "o.start_date IS NULL, o.start_date DESC, o.iri"),
    "title": ("o.title_sort", "o.title_sort, o.iri"),
    "ects": ("o.ects", "o.ects IS NULL, o.ects, o.iri"),
    "-ects": ("o.ects", "o.ects IS NULL, o.ects DESC, o.iri"),
    "price": ("o.price", "o.price IS NULL, o.price, o.iri"),
    "-price": ("o.price", "o.price IS NULL, o.price DESC, o.iri"),
    "modified": ("o.changed", "o.changed IS NULL, o.changed DESC, o.iri"),
    "apply_by": ("o.apply_by", "o.apply_by IS NULL, o.apply_by, o.iri"),
}
# The orders whose keys are numbers or dates, usable for ranges (ascending).
RANGED = ("start", "ects", "price", "apply_by")
FLAGS = "_flags"  # a facet of the sets that is not shown: yes/no properties the filters need (flexible start)


def date_key(text: str) -> float:
    """A date (or its start, as in "2027" or "2027-05") as a number that sorts as the date does: 20270500."""
    digits = re.sub(r"\D", "", text)[:8]
    return float(digits.ljust(8, "0")) if digits else 0.0


def _key(name: str, value: object) -> float:
    return date_key(str(value)) if name in ("start", "apply_by") else float(value)  # type: ignore[arg-type]


class ValueSets:
    """The offers of every facet value, gathered while the index is written and stored with it."""

    def __init__(self) -> None:
        self.sets: dict[tuple[str, str], BitMap] = {}
        self._pending: dict[tuple[str, str], array] = {}

    @classmethod
    def stored(cls, db: sqlite3.Connection) -> ValueSets:
        found = cls()
        for facet, value, members in db.execute("SELECT facet, value, members FROM value_sets"):
            found.sets[(facet, value)] = BitMap.deserialize(members)
        return found

    def add(self, number: int, values: Iterable[tuple[str, str]]) -> None:
        for pair in values:
            pending = self._pending.get(pair)
            if pending is None:
                pending = self._pending[pair] = array("I")
            pending.append(number)

    def discard(self, numbers: Iterable[int]) -> None:
        gone = BitMap(numbers)
        if gone:
            for members in self.sets.values():
                members.difference_update(gone)

    def write(self, db: sqlite3.Connection) -> None:
        for pair, numbers in self._pending.items():
            members = self.sets.get(pair)
            if members is None:
                self.sets[pair] = BitMap(numbers)
            else:
                members.update(numbers)
        self._pending.clear()
        db.execute("DELETE FROM value_sets")
        db.executemany("INSERT INTO value_sets VALUES (?, ?, ?, ?)", (
            (facet, value, len(members), _packed(members)) for (facet, value), members in self.sets.items() if members))


def write_orders(db: sqlite3.Connection) -> None:
    """Every sort's order of the rows of ``offers``, with the keys of those that have one."""
    db.execute("DELETE FROM orders")
    for name, (key, ordering) in ORDERS.items():
        ids = array("I")
        keys = array("d")
        for number, value in db.execute(f"SELECT o.id, {key} FROM offers o ORDER BY {ordering}"):
            ids.append(number)
            if value is not None and name in RANGED:
                keys.append(_key(name, value))
        keyed = len(keys) if name in RANGED else len(ids)
        db.execute("INSERT INTO orders VALUES (?, ?, ?, ?)", (name, ids.tobytes(), keys.tobytes(), keyed))


def _packed(members: BitMap) -> bytes:
    members.run_optimize()
    return members.serialize()


class Sets:
    """The sets and orders of one published index, in memory, for answering searches."""

    def __init__(self, db: sqlite3.Connection):
        self.values: dict[str, dict[str, BitMap]] = {}
        for facet, value, members in db.execute("SELECT facet, value, members FROM value_sets ORDER BY facet, value"):
            self.values.setdefault(facet, {})[value] = BitMap.deserialize(members)
        self.orders: dict[str, array] = {}
        self.keys: dict[str, array] = {}
        self.keyed: dict[str, int] = {}
        for name, ids, keys, keyed in db.execute("SELECT name, ids, keys, keyed FROM orders"):
            self.orders[name] = _array("I", ids)
            self.keys[name] = _array("d", keys)
            self.keyed[name] = keyed
        self.everything = BitMap(self.orders["start"]) if "start" in self.orders else BitMap()
        self._ranks: dict[str, array] = {}

    def any_of(self, facet: str, values: Iterable[str]) -> BitMap:
        found = [self.values.get(facet, {}).get(v) for v in values]
        return BitMap.union(*[f for f in found if f is not None]) if any(f is not None for f in found) else BitMap()

    def within(self, name: str, low: float | None = None, high: float | None = None) -> BitMap:
        """The offers whose ``name`` key lies between ``low`` and ``high`` (both included; None: open)."""
        keys, keyed = self.keys[name], self.keyed[name]
        first = bisect_left(keys, low, 0, keyed) if low is not None else 0
        last = bisect_right(keys, high, 0, keyed) if high is not None else keyed
        return BitMap(self.orders[name][first:last]) if last > first else BitMap()

    def without_key(self, name: str) -> BitMap:
        return BitMap(self.orders[name][self.keyed[name]:])

    def counts(self, facet: str, among: BitMap) -> list[tuple[str, int]]:
        """Each value's number of offers among ``among``, most first; values with none left out."""
        values = self.values.get(facet, {})
        if len(among) == len(self.everything):
            found = [(value, len(members)) for value, members in values.items()]
        else:
            found = [(value, among.intersection_cardinality(members)) for value, members in values.items()]
        return sorted(((v, c) for v, c in found if c), key=lambda pair: (-pair[1], pair[0]))

    def first(self, order: str, among: BitMap, count: int, skip: int = 0) -> list[int]:
        """The first ``count`` offers of ``among`` in ``order``, after skipping ``skip`` of them."""
        wanted = skip + count
        if len(among) ** 2 < wanted * len(self.everything):
            # Few matches: sorting them by their place in the order costs less than walking the order.
            return sorted(among, key=self.rank(order).__getitem__)[skip:wanted]
        return _walk(self.orders[order], among, wanted)[skip:]

    def extremes(self, name: str, among: BitMap) -> tuple[int, int] | None:
        """The offers of ``among`` with the least and the greatest key of ``name``; None when none has a key."""
        keyed = self.keyed[name]
        if not among:
            return None
        if len(among) ** 2 < len(self.everything):
            ranks = self.rank(name)
            places = [r for r in map(ranks.__getitem__, among) if r < keyed]
            ids = self.orders[name]
            return (ids[min(places)], ids[max(places)]) if places else None
        valued = self.orders[name][:keyed]
        lowest = _walk(valued, among, 1)
        if not lowest:
            return None
        return lowest[0], _walk(valued, among, 1, backwards=True)[0]

    def rank(self, order: str) -> array:
        """Row number -> place in ``order``, made the first time a small result set is sorted."""
        ranks = self._ranks.get(order)
        if ranks is None:
            ids = self.orders[order]
            ranks = array("I", bytes(4 * ((max(ids) if ids else 0) + 1)))
            for place, number in enumerate(ids):
                ranks[number] = place
            self._ranks[order] = ranks
        return ranks


def every(parts: list[BitMap], everything: BitMap) -> BitMap:
    """The offers in every one of ``parts`` (all offers when there are none), smallest set first."""
    if not parts:
        return everything
    return reduce(lambda found, part: found & part, sorted(parts, key=len))


def _walk(ids: array, among: BitMap, wanted: int, backwards: bool = False, step: int = 4096) -> list[int]:
    """The first ``wanted`` of ``ids`` that are in ``among``. Blocks of the order with none of them are
    passed over as bitmaps, so matches gathered at the far end of an order (a date range sorted by date)
    cost a few milliseconds, not a pass in Python over a million numbers."""
    found: list[int] = []
    starts = range(0, len(ids), step)
    for start in reversed(starts) if backwards else starts:
        block = ids[start:start + step]
        if not BitMap(block).intersect(among):
            continue
        for number in reversed(block) if backwards else block:
            if number in among:
                found.append(number)
                if len(found) == wanted:
                    return found
    return found


def _array(kind: str, data: bytes) -> array:
    found = array(kind)
    found.frombytes(data)
    return found
