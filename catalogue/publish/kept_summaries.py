"""Offer summaries made at harvest time from the statements in hand, kept for the publish.

A publish needs the summary (``offer_summary.OfferSummary``) of every new or changed offer for the search index.
Read back from the store, that costs about 6 µs for each of the 70-odd statements of an offer and its record:
most of a publish at a million offers. The harvest has each offer's statements in hand, as the N-Triples lines
extraction made of them, and its record as the statements it writes; it makes the summary there with the same
walk a store read ends in (``offer_walk``) and keeps it, in one SQLite file per source, with the offer's time facts
(``time_relevance.offer_facts``) and the fingerprint of the record it was made with (``offer_data.listing_fingerprint``,
less the time status).

A publish takes a kept summary (and the facts) only when the offer's fingerprint in the store is that one and the
code is the code that made it; the time status, which the publish itself writes, comes from the listing. An offer
with no such summary (its source loaded rather than harvested, kept by older code, or its file lost) is read from
the store, so a kept summary can make a publish faster but never different. A harvest's file replaces the previous
one only when its store write has landed. The next harvest takes the row of an offer whose content has not changed
instead of describing it again, as it is when the record says the same too (``record_digest``).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from catalogue.namespaces import MCC
from catalogue.resources import code_fingerprint

from .offer_data import (
    content_hash_of,
    listing_fingerprint,
    merged_sources,
    split_status,
)
from .offer_summary import OfferSummary
from .offer_walk import Statements, add_record, record_values, without_record
from .time_relevance import STATUS_KEYS

SUMMARY_CODE = ("catalogue.publish.offer_walk", "catalogue.publish.offer_summary", "catalogue.publish.kept_summaries",
                "catalogue.publish.time_relevance", "catalogue.text")
_TIME_STATUS = ox.NamedNode(MCC + "timeStatus")
# With each summary, the offer's time facts (``time_relevance.offer_facts``, as JSON): what its status is worked out from.
_SCHEMA = ("CREATE TABLE summaries (iri TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, summary BLOB NOT NULL, facts TEXT NOT NULL, "
           "record TEXT NOT NULL);"
           "CREATE TABLE meta (rules TEXT NOT NULL);")


class KeptSummaries:
    """The kept summaries of each source, in ``folder``: ``<source digest>.sqlite``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rules = code_fingerprint(*SUMMARY_CODE)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> KeptSummaries:
        return cls(data_dir / "summaries")

    def path(self, source: str) -> Path:
        return self.folder / f"{hashlib.sha256(source.encode('utf-8')).hexdigest()[:24]}.sqlite"

    def writer(self, source: str) -> SummaryWriter:
        return SummaryWriter(self.path(source), self.rules)

    def open(self, source: str) -> sqlite3.Connection | None:
        """The source's kept summaries, if there are any made by the walk's current code."""
        path = self.path(source)
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            # A publish holds every source's file open at once (offers come in IRI order, sources interleaved), and
            # reads each row once: SQLite's own 2 MB page cache per file was 200 MB at a hundred sources.
            db.execute("PRAGMA cache_size = -256")
            made_with = db.execute("SELECT rules FROM meta").fetchone()
        except sqlite3.Error:
            return None
        if made_with is None or made_with[0] != self.rules:
            db.close()
            return None
        return db

    def facts(self, source: str) -> dict[str, tuple[str, tuple]] | None:
        """offer -> (content hash, time facts) of every offer the source's last harvest kept, if it kept any."""
        db = self.open(source)
        if db is None:
            return None
        try:
            return {iri: (content_hash_of(fingerprint), _facts(text)) for iri, fingerprint, text in db.execute("SELECT iri, fingerprint, facts FROM summaries")}
        finally:
            db.close()

    def previous(self, source: str) -> PreviousSummaries | None:
        db = self.open(source)
        return PreviousSummaries(db) if db is not None else None

    def keep_only(self, sources: Iterable[str]) -> None:
        """Remove the files of sources no longer in the catalogue, and any a stopped harvest left half written (but not
        one a running harvest is writing: its process is named in the file's name)."""
        wanted = {self.path(source).name for source in sources}
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            if path.name not in wanted and not (path.suffix == ".building" and _running(path)):
                path.unlink(missing_ok=True)


@dataclass
class Described:
    """An offer a harvest is about to publish, as far as its summary goes: described now (``summary`` and time
    ``facts``), or as the last harvest kept it, its content being the same (``kept``: that row)."""

    iri: str
    summary: OfferSummary | None = None
    facts: tuple | None = None
    kept: tuple[str, bytes, str, str] | None = None  # fingerprint, pickled summary, facts as JSON, record digest


class PreviousSummaries:
    """What the last harvest of a source kept, for offers whose content has not changed since."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def described(self, offer: str, content_hash: str) -> Described | None:
        """The row kept for ``offer`` if it was made of the content ``content_hash`` names."""
        row = self.db.execute("SELECT fingerprint, summary, facts, record FROM summaries WHERE iri = ?", (offer,)).fetchone()
        if row is None or content_hash_of(row[0]) != content_hash:
            return None
        return Described(offer, kept=row)

    def close(self) -> None:
        self.db.close()


def record_digest(record: Iterable[ox.Triple]) -> str:
    """What an offer's record says, but for its time status (which the publish writes), as one digest."""
    return hashlib.sha256("\n".join(sorted(str(t) for t in record if t.predicate != _TIME_STATUS)).encode("utf-8")).hexdigest()[:32]


def _row(described: Described, record: list[ox.Triple]) -> tuple[str, str, bytes, str, str]:
    """The row kept of a described offer, completed with what its ``record`` says. A kept row whose record said the
    same is kept as it is (an unchanged offer: most of a harvest after a small change)."""
    digest = record_digest(record)
    if described.kept is not None and described.kept[3] == digest:
        fingerprint, blob, facts, _ = described.kept
        return described.iri, fingerprint, blob, facts, digest
    if described.kept is not None:
        summary, facts_text = without_record(pickle.loads(described.kept[1])), described.kept[2]
    else:
        assert described.summary is not None
        summary, facts_text = described.summary, json.dumps(described.facts)
    statements = Statements().add_all(record).ready()
    add_record(summary, statements)
    fingerprint, _status = split_status(listing_fingerprint(record_values(statements, described.iri)))
    return described.iri, fingerprint, pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL), facts_text, digest


class SummaryWriter:
    """One harvest's summaries of a source, written beside the kept ones and put in their place by ``commit``."""

    def __init__(self, final: Path, rules: str):
        self.final = final
        self.path = final.with_name(f"{final.stem}.{os.getpid()}-{id(self):x}.building")
        self.rules = rules
        self.db: sqlite3.Connection | None = None

    def add(self, offers: Iterable[tuple[Described, list[ox.Triple]]]) -> None:
        """Keep each described offer with what its record (the statements given) says."""
        if self.db is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
            self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode = OFF")
            self.db.execute("PRAGMA synchronous = OFF")
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT INTO meta VALUES (?)", (self.rules,))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)", (_row(d, record) for d, record in offers))

    def forget(self, offers: Iterable[str]) -> None:
        """Keep no summary of ``offers`` (the publish reads them from the store)."""
        if self.db is not None:
            with self.db:
                self.db.executemany("DELETE FROM summaries WHERE iri = ?", ((iri,) for iri in offers))

    def commit(self) -> None:
        """The harvest's store write landed: its summaries replace the source's kept ones (none: the source has none)."""
        if self.db is None:
            self.final.unlink(missing_ok=True)
            return
        self.db.close()
        self.db = None
        self.path.replace(self.final)

    def discard(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self.path.unlink(missing_ok=True)


def _running(building: Path) -> bool:
    """Whether the process that writes ``building`` (``<digest>.<pid>-<writer>.building``) is still running."""
    try:
        os.kill(int(building.name.split(".")[1].split("-")[0]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # another user's process: running
    return True


def _facts(text: str) -> tuple:
    """Time facts kept as JSON, as ``time_relevance.offer_facts`` made them: (start, end, deadlines, flexible, statuses)."""
    return tuple(json.loads(text))


class Counted:
    """How many summaries a read took from the kept files and how many from the store."""

    def __init__(self) -> None:
        self.kept = 0
        self.read = 0


def read_summaries(kept: KeptSummaries, listing: Sequence[tuple[str, str, str | None]], pairs: list[tuple[str, str]],
                   from_store: Callable[[list[tuple[str, str]]], Iterable[OfferSummary]], counted: Counted | None = None,
                   ) -> Iterator[OfferSummary]:
    """The summaries of ``pairs`` ((offer IRI, source) in ``listing`` order, every source of an offer), merged as
    ``offer_data.read_offers`` merges them: an offer whose every source kept a summary for its current fingerprint
    (``listing``: (offer, source, fingerprint), sorted) comes from the kept files, any other from ``from_store``."""
    counted = counted or Counted()
    with contextlib.ExitStack() as stack:
        files: dict[str, sqlite3.Connection | None] = {}

        def kept_file(source: str) -> sqlite3.Connection | None:
            if source not in files:
                files[source] = kept.open(source)
                if files[source] is not None:
                    stack.callback(files[source].close)  # type: ignore[union-attr]
            return files[source]

        def fingerprint(iri: str, source: str) -> str | None:
            at = bisect.bisect_left(listing, (iri, source))
            return listing[at][2] if at < len(listing) and listing[at][:2] == (iri, source) else None

        def kept_listing(iri: str, source: str) -> str | None:
            """The offer's listed fingerprint, when the summary kept for it holds for that fingerprint."""
            listed = fingerprint(iri, source)
            db = kept_file(source)
            if listed is None or db is None:
                return None
            row = db.execute("SELECT fingerprint FROM summaries WHERE iri = ?", (iri,)).fetchone()
            return listed if row is not None and row[0] == split_status(listed)[0] else None

        # First which offers have every source's summary kept (their fingerprints only), so that the others can be read
        # from the store in one stream, on every core; then each offer in order, from where it is.
        # A byte per offer: at a million offers, lists of each offer's pairs took more memory than the publish had.
        # Each file is read through one connection, which keeps reading the file it opened even if a harvest puts
        # another in its place, so what the first pass found is there in the second.
        from_kept = bytearray()
        missing: list[tuple[str, str]] = []
        for group in _offers(pairs):
            found = all(kept_listing(iri, source) is not None for iri, source in group)
            from_kept.append(found)
            if not found:
                missing.extend(group)
        store_read = iter(from_store(missing)) if missing else iter(())
        for group, found in zip(_offers(pairs), from_kept, strict=True):
            if not found:
                counted.read += 1
                yield next(store_read)
                continue
            summaries = []
            for iri, source in group:
                (blob,) = kept_file(source).execute("SELECT summary FROM summaries WHERE iri = ?", (iri,)).fetchone()  # type: ignore[union-attr]
                summary: OfferSummary = pickle.loads(blob)
                _without, status = split_status(fingerprint(iri, source))  # type: ignore[arg-type]  # found in the first pass
                summary.status = STATUS_KEYS.get(status or "", "current")
                summaries.append(summary)
            counted.kept += 1
            yield from merged_sources(summaries)


def _offers(pairs: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """The pairs of each offer (consecutive in ``pairs``)."""
    for _iri, group in itertools.groupby(pairs, key=lambda pair: pair[0]):
        yield list(group)
