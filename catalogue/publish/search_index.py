"""The search side index: SQLite with FTS5, refreshed after each harvest from the summaries of new and changed offers
(kept by the harvest, else read from the store: ``kept_summaries``).

SPARQL stays the source of truth; this index exists because text search and
facet counts over the whole catalogue take hundreds of milliseconds in the
store at 100,000 offers, and a search API must answer in tens. One row per
offer with the values people filter and sort by, the offers of each facet value
and each sort's order as bitmaps kept at publish time (``search_sets``), and
an FTS5 table over titles, descriptions, outcomes and provider names in every
language (with accents folded, so "hogskola" finds "högskola").
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pyroaring import BitMap

from catalogue.levels import LEVELS, at_least
from catalogue.vocab import CEFR_LEVELS, ISCED_SCHEME, load_vocabulary

from . import gazetteer, search_sets, search_terms, search_words
from .offer_data import OfferSummary, duration_hours

FACETS = ("field", "broad_field", "eqf", "mode", "language", "country", "provider", "microcredential", "level", "status", "source", "schedule",
          "town", "funding", "target_group", "prerequisites", "study_time", "pace", "language_requirement", "skill", "occupation")
ONLINE = "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
# Funding the data names, as facet values: EMIL3's CSN codes, the ELM grants topic.
FUNDING_TOPICS = {TOPIC + "student-aid": "student-aid", TOPIC + "no-student-aid": "no-student-aid",
                  "http://data.europa.eu/snb/learningOpportunity-topics#grants": "grants"}
FLEXIBLE_START = TOPIC + "flexible-start"
STUDY_TIME_TOPICS = {TOPIC + name: name for name in ("daytime", "evenings", "weekends", "self-paced")}
# Labels of the facet values that are not concepts, in plain words.
VALUE_LABELS = {
    "funding": {
        "student-aid": {"en": "Eligible for student aid (CSN)", "sv": "Ger rätt till studiemedel (CSN)"},
        "no-student-aid": {"en": "Not eligible for student aid (CSN)", "sv": "Ger inte rätt till studiemedel (CSN)"},
        "grants": {"en": "Grants or funding named", "sv": "Bidrag eller finansiering anges"},
    },
    "study_time": {
        "daytime": {"en": "Daytime", "sv": "Dagtid"},
        "evenings": {"en": "Evenings", "sv": "Kvällstid"},
        "weekends": {"en": "Weekends", "sv": "Helger"},
        "self-paced": {"en": "At your own pace", "sv": "Individuell studietakt"},
    },
    "prerequisites": {
        "none-stated": {"en": "No entry requirements stated", "sv": "Inga förkunskapskrav angivna"},
        "stated": {"en": "Entry requirements stated", "sv": "Förkunskapskrav angivna"},
    },
    # Pace of study (OfferSummary.pace_band): a full-time schedule counts as 100 %.
    "pace": {
        "100": {"en": "Full time (100 %)", "sv": "Heltid (100 %)"},
        "75": {"en": "75–99 %", "sv": "75–99 %"},
        "50": {"en": "Half time or more (50–74 %)", "sv": "Halvfart eller mer (50–74 %)"},
        "25": {"en": "Quarter time or more (25–49 %)", "sv": "Kvartsfart eller mer (25–49 %)"},
        "under-25": {"en": "Under 25 %", "sv": "Under 25 %"},
    },
    # What language the learner needs: stated at all, and the CEFR levels stated.
    "language_requirement": {
        "stated": {"en": "A language requirement is stated", "sv": "Språkkrav anges"},
        "none-stated": {"en": "No language requirement stated", "sv": "Inga språkkrav angivna"},
        **{level: {"en": f"CEFR level {level} required", "sv": f"GERS-nivå {level} krävs"} for level in CEFR_LEVELS},
    },
}
SORTS = {
    "relevance": "rank, o.start_date",
    "start": "o.start_date IS NULL, o.start_date",
    "-start": "o.start_date IS NULL, o.start_date DESC",
    "title": "o.title_sort",
    "ects": "o.ects IS NULL, o.ects",
    "-ects": "o.ects IS NULL, o.ects DESC",
    "price": "o.price IS NULL, o.price",
    "-price": "o.price IS NULL, o.price DESC",
    "modified": "o.changed DESC",
}

_SCHEMA = """
CREATE TABLE offers (
    id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, source TEXT, provider TEXT,
    start_date TEXT, end_date TEXT, ects REAL, hours REAL, price REAL, currency TEXT,
    microcredential INTEGER, changed TEXT, title_sort TEXT, summary TEXT NOT NULL, fingerprint TEXT,
    apply_by TEXT, flexible INTEGER
);
-- Where an offer is given: coordinates from the data, else of the town its places name (catalogue.publish.gazetteer).
CREATE TABLE points (offer INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL);
CREATE INDEX points_by_lat ON points (lat, lon);
CREATE INDEX points_by_offer ON points (offer);
CREATE INDEX offers_by_apply_by ON offers (apply_by);
CREATE INDEX offers_by_start ON offers (start_date);
CREATE INDEX offers_by_ects ON offers (ects);
CREATE INDEX offers_by_price ON offers (price);
CREATE INDEX offers_by_provider ON offers (provider);
CREATE VIRTUAL TABLE offer_text USING fts5(title, description, outcomes, provider, stems, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
""" + search_sets.SCHEMA + search_terms.SCHEMA


def build(path: Path, offers: Iterable[OfferSummary], fingerprints: Mapping[str, str | None] | None = None, rules: str = "") -> int:
    """Write a fresh index at ``path`` (replacing it atomically); returns the number of offers.

    ``fingerprints`` (offer IRI -> what its row was made from) and ``rules`` (what every row was
    made with) let a later ``refresh`` tell which rows are still right."""
    count = 0
    vocabulary = load_vocabulary()
    seen: set[str] = set()
    sets = search_sets.ValueSets()
    with _building(path) as db:
        db.executescript(_SCHEMA)
        for offer in offers:
            # Two sources may publish the same offer (a provider harvested two ways): it is listed once, under the first.
            if offer.iri in seen:
                continue
            seen.add(offer.iri)
            count += 1
            _insert(db, count, offer, vocabulary, sets, (fingerprints or {}).get(offer.iri))
        sets.write(db)
        search_sets.write_orders(db)
        search_terms.write_terms(db, count)
        db.executemany("INSERT INTO meta VALUES (?, ?)", (("offers", str(count)), ("rules", rules)))
    return count


@contextmanager
def _building(path: Path, copy_of: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A new database beside ``path`` (a copy of ``copy_of``) in one transaction, put in its place (atomically) when
    the block ends well."""
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    if copy_of is not None:
        # A published index is never written again and has no journal, so its file is a consistent database. The
        # kernel copies it (copy_file_range) several times faster than SQLite's backup, page by page, did: 5.2 GB
        # at a million offers, most of a one-change publish.
        shutil.copyfile(copy_of, tmp)
    db = sqlite3.connect(tmp)
    try:
        with db:
            yield db
        db.execute("PRAGMA optimize")
    finally:
        db.close()
    tmp.replace(path)


@dataclass
class Refreshed:
    offers: int
    read: int  # offers whose rows were (re)written
    whole: bool  # built from scratch rather than from the previous index


def refresh(
    path: Path,
    listing: list[tuple[str, str, str | None]],
    read: Callable[[list[tuple[str, str]]], Iterable[OfferSummary]],
    previous: Path | None = None,
    rules: str = "",
) -> Refreshed:
    """Write the index of ``listing`` ((offer IRI, source, fingerprint), in listing order) at ``path``.

    Starting from ``previous`` (the last published index) when it was made under the same ``rules``:
    rows whose offer is gone or whose fingerprint changed are deleted, and only new and changed
    offers are read (``read``) and inserted, so a harvest that changed 1% of the catalogue re-reads
    1% of it. Otherwise, or when most offers changed, the index is built whole."""
    # Held for every offer of the catalogue at once, so kept lean: one dict per column, sharing the listing's strings,
    # and lists of sources only for the few offers more than one source publishes.
    first_source: dict[str, str] = {}
    fingerprints: dict[str, str | None] = {}
    shared: dict[str, list[tuple[str, str | None]]] = {}
    for iri, source, fingerprint in listing:
        if iri in first_source:
            shared.setdefault(iri, [(first_source[iri], fingerprints[iri])]).append((source, fingerprint))
        else:
            first_source[iri], fingerprints[iri] = source, fingerprint
    # One row per offer, under its first source; made from every source that publishes it, so a change in any refreshes it.
    for iri, by in shared.items():
        fingerprints[iri] = _combined(by)

    def every_source(iris: Iterable[str]) -> list[tuple[str, str]]:
        return [(iri, source) for iri in iris for source in ([s for s, _ in shared[iri]] if iri in shared else [first_source[iri]])]

    changes = _changes(previous, rules, first_source, fingerprints) if previous is not None else None
    if changes is not None:
        stale, fresh = changes
        if len(fresh) <= len(first_source) // 2:
            return Refreshed(_patch(path, previous, stale, every_source(fresh), read, fingerprints, len(first_source)),  # type: ignore[arg-type]
                             len(fresh), False)
    return Refreshed(build(path, read(every_source(first_source)), fingerprints, rules), len(first_source), True)


def _combined(by: list[tuple[str, str | None]]) -> str | None:
    if len(by) == 1:
        return by[0][1]
    if any(fingerprint is None for _, fingerprint in by):
        return None
    return " | ".join(f"{source}: {fingerprint}" for source, fingerprint in by)


def source_fingerprints(fingerprint: str | None, sources: list[str]) -> list[str | None]:
    """The listed fingerprint of the offer for each of ``sources`` (those that publish it), from its row's."""
    if fingerprint is None or len(sources) == 1:
        return [fingerprint] * len(sources)
    by = dict(part.split(": ", 1) for part in fingerprint.split(" | ") if ": " in part)
    return [by.get(source) for source in sources]


def _changes(previous: Path, rules: str, first_source: dict[str, str], fingerprints: dict[str, str | None]
             ) -> tuple[list[tuple[int, str, str | None]], list[str]] | None:
    """The rows of ``previous`` that no longer hold ((row id, source, fingerprint)) and the offers it has no row for
    yet, or None when it cannot be built on. Its rows are compared as they are read, not held: at a million offers they
    are a million addresses and fingerprints read back from the file."""
    if not previous.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{previous}?mode=ro", uri=True)
        try:
            made_with = db.execute("SELECT value FROM meta WHERE key = 'rules'").fetchone()
            if made_with is None or made_with[0] != rules or not rules:
                return None
            missing = dict.fromkeys(first_source)  # shares the keys' strings
            stale = []
            for number, iri, source, fingerprint in db.execute("SELECT id, iri, source, fingerprint FROM offers"):
                if fingerprint is not None and first_source.get(iri) == source and fingerprints.get(iri) == fingerprint:
                    missing.pop(iri, None)
                else:
                    stale.append((number, source, fingerprint))
            return stale, list(missing)
        finally:
            db.close()
    except sqlite3.Error:
        return None  # an index from an older release, or a damaged one: build afresh


def _patch(path: Path, previous: Path, stale: list[tuple[int, str, str | None]], fresh: list[tuple[str, str]],
           read: Callable[[list[tuple[str, str]]], Iterable[OfferSummary]], fingerprints: Mapping[str, str | None],
           count: int) -> int:
    vocabulary = load_vocabulary()
    with _building(path, copy_of=previous) as db:
        numbers = [(row[0],) for row in stale]
        sets = search_sets.ValueSets.stored(db)
        sets.discard(row[0] for row in stale)
        db.executemany("DELETE FROM offers WHERE id = ?", numbers)
        db.executemany("DELETE FROM offer_text WHERE rowid = ?", numbers)
        db.executemany("DELETE FROM points WHERE offer = ?", numbers)
        next_number = first_fresh = (db.execute("SELECT MAX(id) FROM offers").fetchone()[0] or 0) + 1
        for offer in read(fresh):
            _insert(db, next_number, offer, vocabulary, sets, fingerprints.get(offer.iri))
            next_number += 1
        sets.write(db)
        search_sets.write_orders(db)
        search_terms.write_terms(db, count, fresh_from=first_fresh, stale=[row[0] for row in stale])
        db.execute("UPDATE meta SET value = ? WHERE key = 'offers'", (str(count),))
    return count


def _insert(db: sqlite3.Connection, number: int, offer: OfferSummary, vocabulary, sets: search_sets.ValueSets,
            fingerprint: str | None = None) -> None:
    price = min((p.amount for p in offer.prices if p.amount is not None), default=None)
    currency = next((p.currency for p in offer.prices if p.amount == price and p.currency), None)
    title, _ = offer.title("en")
    apply_by = max((d[:10] for d in offer.deadlines), default=None)
    db.execute(
        "INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            number, offer.iri, offer.source, offer.provider.iri if offer.provider else None,
            (offer.start or "")[:10] or None, (offer.end or "")[:10] or None, offer.ects,
            duration_hours(offer.volume) if offer.volume else None, price, currency,
            int(offer.microcredential), offer.changed, title.casefold(), json.dumps(_summary(offer), ensure_ascii=False),
            fingerprint, apply_by, int(FLEXIBLE_START in offer.topics),
        ),
    )
    towns = _where(offer)
    db.executemany("INSERT INTO points VALUES (?, ?, ?)", ((number, lat, lon) for _name, lat, lon in towns))
    values: list[tuple[str, str]] = [("microcredential", "yes" if offer.microcredential else "no"), ("source", offer.source)]
    # A level filter means "this level or above", so an offer counts under every level it reaches.
    values += [("level", level) for level in LEVELS[1:] if at_least(offer.level, level)]
    values.append(("status", offer.status))
    values += [("field", f) for f in offer.fields]
    values += [("broad_field", b) for b in _broad_fields(offer.fields, vocabulary)]
    values += [("mode", m) for m in offer.modes] + [("language", lang) for lang in offer.languages]
    if offer.eqf:
        values.append(("eqf", offer.eqf))
    if offer.schedule:
        values.append(("schedule", offer.schedule))
    if offer.provider:
        values.append(("provider", offer.provider.iri))
        if offer.provider.country:
            values.append(("country", offer.provider.country))
    for place in offer.places:
        if place.country and place.country != (offer.provider.country if offer.provider else None):
            values.append(("country", place.country))
    values += [("town", name) for name, _lat, _lon in towns if name]
    values += [("funding", FUNDING_TOPICS[t]) for t in offer.topics if t in FUNDING_TOPICS]
    values += [("study_time", STUDY_TIME_TOPICS[t]) for t in offer.topics if t in STUDY_TIME_TOPICS]
    values += [("target_group", t) for t in offer.target_groups]
    values.append(("prerequisites", "stated" if offer.entry_requirements else "none-stated"))
    if offer.pace_band:
        values.append(("pace", offer.pace_band))
    values.append(("language_requirement", "stated" if offer.language_requirements else "none-stated"))
    values += [("language_requirement", level) for level in offer.cefr_levels]
    values += [("skill", k) for k in offer.skills] + [("occupation", k) for k in offer.occupations]
    if FLEXIBLE_START in offer.topics:
        values.append((search_sets.FLAGS, "flexible"))
    sets.add(number, dict.fromkeys(values))
    provider_names = " ".join(offer.provider.names.values()) if offer.provider else ""
    title = " ".join(offer.titles.values())
    description = " ".join(offer.descriptions.values())
    outcomes = " ".join(" ".join(o.values()) for o in offer.outcomes)
    # Skills and occupations are found by their names (ESCO's, else the data's), with the learning outcomes.
    named = [*offer.skills, *offer.occupations]
    outcomes = " ".join([outcomes, *(text for iri in named for text in {**offer.concept_labels.get(iri, {}), **vocabulary.labels.get(iri, {})}.values())])
    db.execute(
        "INSERT INTO offer_text (rowid, title, description, outcomes, provider, stems) VALUES (?, ?, ?, ?, ?, ?)",
        (number, title, description, outcomes, provider_names, search_words.stem_text(" ".join((title, description, outcomes)))),
    )


def _where(offer: OfferSummary) -> list[tuple[str | None, float, float]]:
    """(town, latitude, longitude) of each place of the offer: coordinates from the data, else those of the first
    town its name or address names; the town's name is kept for the place facet."""
    found: list[tuple[str | None, float, float]] = []
    for place in offer.places:
        texts = [*place.names.values(), *place.address.values()]
        town = next((t for t in (gazetteer.town_in(text, place.country) for text in texts) if t is not None), None)
        if place.latitude is not None and place.longitude is not None:
            town = town or gazetteer.nearest(place.latitude, place.longitude)
            found.append((town.name if town else None, place.latitude, place.longitude))
        elif town is not None:
            found.append((town.name, town.latitude, town.longitude))
    return list(dict.fromkeys(found))


def _broad_fields(fields: list[str], vocabulary) -> list[str]:
    broad = []
    for iri in fields:
        code = iri.rsplit("/", 1)[-1]
        parent = f"http://data.europa.eu/snb/isced-f/{code[:2]}"
        if vocabulary.in_scheme(parent, ISCED_SCHEME):
            broad.append(parent)
    return list(dict.fromkeys(broad))


def _summary(offer: OfferSummary) -> dict:
    """What a result list shows, stored with the row so a search never goes back to the store."""
    return {
        "iri": offer.iri,
        "source": offer.source,
        "titles": offer.titles,
        "descriptions": {k: v[:400] for k, v in offer.descriptions.items()},
        "homepage": offer.homepage,
        "provider": {"iri": offer.provider.iri, "names": offer.provider.names, "country": offer.provider.country} if offer.provider else None,
        "fields": offer.fields,
        "eqf": offer.eqf,
        "modes": offer.modes,
        "languages": offer.languages,
        "schedule": offer.schedule,
        "start": offer.start,
        "end": offer.end,
        "deadlines": offer.deadlines,
        "ects": offer.ects,
        "hours": duration_hours(offer.volume) if offer.volume else None,
        "prices": [{"amount": p.amount, "currency": p.currency, "labels": p.labels} for p in offer.prices],
        "places": [{"names": p.names, "address": p.address, "country": p.country, "latitude": p.latitude, "longitude": p.longitude}
                   for p in offer.places],
        "topics": offer.topics,
        "target_groups": offer.target_groups,
        "pace": offer.pace,
        "pace_band": offer.pace_band,
        "language_requirements": offer.language_requirements,
        "credits": [{"framework": framework, "points": points} for framework, points in offer.national_credits],
        "skills": offer.skills,
        "occupations": offer.occupations,
        "concept_labels": offer.concept_labels,
        "other_levels": offer.other_levels,
        "microcredential": offer.microcredential,
        "level": offer.level,
        "status": offer.status,
        "derived": offer.derived,
        "sources": offer.sources,
        "disagreements": offer.disagreements,
        "europass_gaps": offer.europass_gaps,
        "missing": offer.missing,
        "changed": offer.changed,
        "first_seen": offer.first_seen,
        "warnings": offer.warnings,
        "content_hash": offer.content_hash,
    }


# -- searching ----------------------------------------------------------------------------------


@dataclass
class SearchQuery:
    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> accepted values (OR within a facet)
    start_from: str | None = None  # YYYY-MM-DD
    start_to: str | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    price_max: float | None = None
    price_min: float | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    open_on: str | None = None  # YYYY-MM-DD: open for application on that day (a deadline not passed, or none and not started)
    closes_by: str | None = None  # YYYY-MM-DD: with open_on, the last application day falls by then
    flexible: bool = False  # only offers one can start at any time
    free: bool = False  # only offers with a price of 0 (free of charge)
    near: tuple[float, float, float] | None = None  # (latitude, longitude, km): given within that distance, or online
    facets: tuple[str, ...] | None = None  # the facets to count (None: every facet); each costs a pass over the matches


def application_window(today: date, open_now: bool, closes_within: int | None) -> dict[str, str | None]:
    """``open_on`` and ``closes_by`` of a query for offers open for application today, closing within some days."""
    if not open_now:
        return {"open_on": None, "closes_by": None}
    closes_by = (today + timedelta(days=closes_within)).isoformat() if closes_within is not None else None
    return {"open_on": today.isoformat(), "closes_by": closes_by}


@dataclass
class SearchResult:
    total: int
    items: list[dict]
    facets: dict[str, list[tuple[str, int]]]
    ranges: dict[str, dict]


class SearchIndex:
    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.create_function("km", 4, gazetteer.kilometres, deterministic=True)
        self._loaded: search_sets.Sets | None = None
        self._terms: search_terms.Terms | None = None
        self._providers: dict[str, dict[str, str]] | None = None
        self._loading = threading.Lock()
        # A published index never changes, so what was worked out once stays true: text matches, places
        # near a town and the counts of a query (asked again for each page of its results).
        self._answers: OrderedDict[tuple, object] = OrderedDict()
        self._answers_lock = threading.Lock()

    def _cached(self, key: tuple, compute):
        with self._answers_lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        value = compute()
        with self._answers_lock:
            self._answers[key] = value
            while len(self._answers) > 256:
                self._answers.popitem(last=False)
        return value

    @property
    def sets(self) -> search_sets.Sets:
        """The value sets and orders, read into memory the first time a search needs them."""
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = search_sets.Sets(self.db)
        return self._loaded

    @property
    def terms(self) -> search_terms.Terms:
        """The vocabulary and the frequent terms' offers, read into memory the first time a search has words."""
        if self._terms is None:
            with self._loading:
                if self._terms is None:
                    self._terms = search_terms.Terms(self.db)
        return self._terms

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM offers").fetchone()[0]

    def provider_names(self, iris: list[str]) -> dict[str, dict[str, str]]:
        """The names (per language) of providers, as their first offer's summary gives them."""
        if self._providers is None:
            with self._loading:
                if self._providers is None:
                    self._providers = self._every_provider_name()
        return {iri: self._providers[iri] for iri in iris if iri in self._providers}

    def _every_provider_name(self) -> dict[str, dict[str, str]]:
        # Read once for all providers (25,000 at a million offers): one look-up per provider and answer cost 0.4 s.
        found: dict[str, dict[str, str]] = {}
        rows = self.db.execute("SELECT provider, summary FROM offers WHERE id IN "
                               "(SELECT MIN(id) FROM offers WHERE provider IS NOT NULL GROUP BY provider)")
        for iri, summary in rows:
            provider = json.loads(summary).get("provider")
            if provider and provider.get("names"):
                found[iri] = provider["names"]
        return found

    def search(self, query: SearchQuery) -> SearchResult:
        sets = self.sets
        parts = self._parts(query)
        found = search_sets.every([members for _, members in parts], sets.everything)
        offset = max(0, (query.page - 1) * query.page_size)
        if query.sort not in SORTS or query.sort == "relevance":
            numbers = (self._by_relevance(query.text, found, offset, query.page_size) if query.text.strip()
                       else sets.first("start", found, query.page_size, offset))
        else:
            numbers = sets.first(query.sort, found, query.page_size, offset)
        names = query.facets or FACETS
        asked = _without_paging(query)
        facets, ranges = self._cached(("counts", asked, names), lambda: (self._counts(parts, found, names), self._ranges(found)))
        return SearchResult(len(found), self._summaries(numbers), facets, ranges)

    def _parts(self, query: SearchQuery) -> list[tuple[str | None, BitMap]]:
        """What a query asks, each as the set of offers that meet it; a facet's part is named by the facet, so its
        counts can leave it out (its other values stay visible while one is chosen)."""
        sets = self.sets
        parts: list[tuple[str | None, BitMap]] = []
        if query.text.strip():
            parts.append((None, self._text(query.text)))
        for facet, values in query.filters.items():
            if values:
                parts.append((facet, sets.any_of(facet, values)))
        if query.open_on:
            day = search_sets.date_key(query.open_on)
            if query.closes_by:
                parts.append((None, sets.within("apply_by", day, search_sets.date_key(query.closes_by))))
            else:
                # A deadline not passed, or none given and the offer starts later or at any time.
                later = sets.values.get(search_sets.FLAGS, {}).get("flexible", BitMap()) | sets.within("start", day)
                parts.append((None, sets.within("apply_by", day) | (sets.without_key("apply_by") & later)))
        if query.flexible:
            parts.append((None, sets.values.get(search_sets.FLAGS, {}).get("flexible", BitMap())))
        if query.free:
            parts.append((None, sets.within("price", 0.0, 0.0)))
        if query.near is not None:
            parts.append((None, self._near(*query.near)))
        if query.start_from is not None or query.start_to is not None:
            parts.append((None, sets.within("start", *(search_sets.date_key(d) if d else None for d in (query.start_from, query.start_to)))))
        for name, low, high in (("ects", query.ects_min, query.ects_max), ("price", query.price_min, query.price_max)):
            if low is not None or high is not None:
                parts.append((None, sets.within(name, low, high)))
        return parts

    def _text(self, text: str, title_only: bool = False) -> BitMap:
        """The offers whose text (or title) has every word asked, as ``search_words`` reads them."""
        groups = search_words.query_groups(text)
        key = ("text", title_only, tuple(map(tuple, groups)))
        return self._cached(key, lambda: self.terms.matching(groups, title_only))

    def _by_relevance(self, text: str, found: BitMap, offset: int, size: int) -> list[int]:
        """A page of ``found`` by relevance to ``text``: offers with every word in their title first, then the others;
        soonest start first within each. (FTS5's bm25 costs a few microseconds per match: a second and more for a
        common word at a million offers, where these two sets cost a few milliseconds.)"""
        in_title = found & self._text(text, title_only=True)
        first = self.sets.first("start", in_title, size, offset)
        if len(first) == size:
            return first
        return first + self.sets.first("start", found - in_title, size - len(first), max(0, offset - len(in_title)))

    def _near(self, lat: float, lon: float, km: float) -> BitMap:
        """Offers given within ``km`` of a point, and offers given online (a learner anywhere can take them)."""
        def near() -> BitMap:
            dlat = km / 111.0
            dlon = km / max(1.0, 111.32 * math.cos(math.radians(lat)))
            rows = self.db.execute("SELECT offer FROM points WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ? AND km(lat, lon, ?, ?) <= ?",
                                   (lat - dlat, lat + dlat, lon - dlon, lon + dlon, lat, lon, km))
            return BitMap(row[0] for row in rows) | self.sets.any_of("mode", [ONLINE])
        return self._cached(("near", lat, lon, km), near)

    def _counts(self, parts: list[tuple[str | None, BitMap]], found: BitMap, names: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
        counted = {}
        for name in names:
            if any(facet == name for facet, _ in parts):
                among = search_sets.every([members for facet, members in parts if facet != name], self.sets.everything)
            else:
                among = found
            counted[name] = self.sets.counts(name, among)
        return counted

    def _ranges(self, found: BitMap) -> dict[str, dict]:
        ranges = {}
        for name, column in (("ects", "ects"), ("price", "price"), ("start", "start_date")):
            ends = self.sets.extremes(name, found)
            values = [self.db.execute(f"SELECT {column} FROM offers WHERE id = ?", (n,)).fetchone()[0] for n in ends] if ends else [None, None]
            ranges[name] = {"min": values[0], "max": values[1]}
        return ranges

    def _summaries(self, numbers: list[int]) -> list[dict]:
        if not numbers:
            return []
        rows = dict(self.db.execute(f"SELECT id, summary FROM offers WHERE id IN ({','.join('?' * len(numbers))})", numbers))
        return [json.loads(rows[n]) for n in numbers]


def _without_paging(query: SearchQuery) -> tuple:
    """What decides a query's matches and counts (not its page or sort), as a key."""
    return (query.text.strip(), tuple(sorted((f, tuple(sorted(v))) for f, v in query.filters.items() if v)), query.start_from,
            query.start_to, query.ects_min, query.ects_max, query.price_min, query.price_max, query.open_on, query.closes_by,
            query.flexible, query.free, query.near)
