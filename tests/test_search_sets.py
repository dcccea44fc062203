"""The search's bitmaps kept at publish time give exactly what SQL and FTS5 give: the frequent terms' offers and
the vocabulary (against FTS5 prefix queries), facet counts (against counting the summaries), sorted pages and
ranges (against sorting the summaries), after a whole build and after a patch."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace

import pytest

from catalogue.publish import search_index, search_terms, search_words
from catalogue.publish.offer_data import OfferSummary, Organisation, Price
from catalogue.publish.search_index import SearchIndex, SearchQuery

SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"
WORDS = ["vård", "vården", "omvårdnad", "undersköterska", "solcell", "solceller", "solcellsanläggning", "svets", "svetsning",
         "data", "databas", "datum", "ekonomi", "el", "elektriker", "e-handel", "språk", "svenska", "kursen", "och", "att", "för"]


def _offers(count: int, seed: int, start_number: int = 0) -> list[OfferSummary]:
    rng = random.Random(seed)
    providers = [Organisation(f"https://p.example/{i}", {"sv": f"Skola {rng.choice(WORDS)}"}, SWEDEN) for i in range(7)]
    made = []
    for i in range(start_number, start_number + count):
        offer = OfferSummary(
            f"https://o.example/{i}", "s", titles={"sv": " ".join(rng.choices(WORDS, k=3))},
            # Common words, and rare ones (each on a few offers): some under a common word's prefix.
            descriptions={"sv": " ".join(rng.choices(WORDS, k=25) + [f"kod{rng.randint(0, 80)}", f"datorkurs{rng.randint(0, 40)}"][:rng.randint(0, 2)])},
            provider=rng.choice(providers),
            eqf=f"http://data.europa.eu/snb/eqf/{rng.randint(3, 6)}",
            start=f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.8 else None,
            prices=[Price(rng.choice([0.0, 500.0, 900.0]), None)] if rng.random() < 0.7 else [],
        )
        if rng.random() < 0.6:
            offer.credits.append(("http://data.europa.eu/snb/education-credit/6fcec5c5af", rng.choice(["1.5", "3", "7.5"])))
        made.append(offer)
    return made


def _fts(path, text: str, column: str | None = None) -> set[str]:
    """What FTS5 itself finds: each group's words and stems as prefixes (what the search asked FTS5 before)."""
    groups = []
    for group in search_words.query_groups(text):
        terms = []
        for word in group:
            if column:
                terms += [f'{column} : "{prefix}"*' for prefix in (word, *search_words.stems(word))]
            else:
                terms += [f'{{title description outcomes provider}} : "{word}"*'] + [f'stems : "{s}"*' for s in search_words.stems(word)]
        groups.append("(" + " OR ".join(terms) + ")")
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute(
            "SELECT o.iri FROM offer_text t JOIN offers o ON o.id = t.rowid WHERE offer_text MATCH ?", (" AND ".join(groups),))}
    finally:
        db.close()


QUERIES = ["kod1", "kod7", "datorkurs", "vård", "vården", "solceller", "svets", "data", "dat", "el", "e-handel", "kursen och", "skola", "undersköterska ekonomi",
           "språk svenska", "jobb inom vården"]


@pytest.fixture()
def frequent_low(monkeypatch):
    # Most terms of a few hundred offers are then kept as bitmaps, and the rest asked of FTS5: both paths run.
    monkeypatch.setattr(search_terms, "FREQUENT_LEAST", 40)


def _iris(index: SearchIndex, numbers) -> set[str]:
    return {row[0] for n in numbers for row in index.db.execute("SELECT iri FROM offers WHERE id = ?", (n,))}


def test_term_sets_find_what_fts5_finds_built_whole_and_patched(tmp_path, frequent_low):
    whole = tmp_path / "whole.sqlite"
    search_index.build(whole, _offers(400, seed=1))
    index = SearchIndex(whole)
    kept = sum(1 for members in index.terms.members.values() if members)
    assert kept >= 20 and any(term not in index.terms.members for term in [(s, t) for s in index.terms.sorted for t in index.terms.sorted[s]])
    for text in QUERIES:
        assert _iris(index, index._text(text)) == _fts(whole, text), text
        assert _iris(index, index._text(text, title_only=True)) == _fts(whole, text, column="title"), text
    index.close()

    # A patch: 150 offers gone, 200 new ones (the new words make other terms frequent).
    listing = [(o.iri, "s", f"v1-{o.iri}") for o in _offers(400, seed=1)]
    changed = listing[:250] + [(o.iri, "s", f"v2-{o.iri}") for o in _offers(200, seed=2, start_number=1000)]
    fresh = {o.iri: o for o in _offers(400, seed=1) + _offers(200, seed=2, start_number=1000)}
    first = search_index.refresh(tmp_path / "a.sqlite", listing, lambda pairs: (fresh[i] for i, _ in pairs), rules="r")
    patched = search_index.refresh(tmp_path / "b.sqlite", changed, lambda pairs: (fresh[i] for i, _ in pairs), previous=tmp_path / "a.sqlite", rules="r")
    assert first.whole and not patched.whole
    index = SearchIndex(tmp_path / "b.sqlite")
    for text in QUERIES:
        assert _iris(index, index._text(text)) == _fts(tmp_path / "b.sqlite", text), text
    index.close()


def test_counts_pages_and_ranges_agree_with_the_summaries(tmp_path, frequent_low):
    path = tmp_path / "index.sqlite"
    offers = _offers(300, seed=3)
    search_index.build(path, offers)
    index = SearchIndex(path)
    summaries = {o.iri: o for o in offers}
    for text, eqf in (("", None), ("vård", None), ("data", "http://data.europa.eu/snb/eqf/4"), ("svets el", "http://data.europa.eu/snb/eqf/5")):
        query = SearchQuery(text=text, filters={"eqf": [eqf]} if eqf else {}, page_size=300)
        everything = index.search(query)
        matched = [summaries[item["iri"]] for item in everything.items]
        assert everything.total == len(matched)
        # Counting the summaries by hand gives the same counts, the EQF facet counted without its own choice.
        by_provider: dict[str, int] = {}
        for offer in matched:
            by_provider[offer.provider.iri] = by_provider.get(offer.provider.iri, 0) + 1
        assert dict(everything.facets["provider"]) == by_provider
        ects = [o.ects for o in matched if o.ects is not None]
        assert everything.ranges["ects"] == {"min": min(ects, default=None), "max": max(ects, default=None)}
        starts = [o.start[:10] for o in matched if o.start]
        assert everything.ranges["start"] == {"min": min(starts, default=None), "max": max(starts, default=None)}
        # Sorted by start, paged by 7: the pages join into the summaries sorted by (no start last, start, IRI).
        expected = [o.iri for o in sorted(matched, key=lambda o: (o.start is None, o.start or "", o.iri))]
        pages = []
        for page in range(1, len(expected) // 7 + 2):
            pages += [item["iri"] for item in index.search(SearchQuery(**{**query.__dict__, "sort": "start", "page": page, "page_size": 7})).items]
        assert pages == expected
        by_price = [item["iri"] for item in index.search(SearchQuery(**{**query.__dict__, "sort": "-price"})).items]
        priced = sorted((o for o in matched), key=lambda o: (not o.prices, -(o.prices[0].amount if o.prices else 0), o.iri))
        assert by_price == [o.iri for o in priced]
    index.close()


def test_statistics_kept_at_publish_time_are_the_offers_per_value(tmp_path):
    path = tmp_path / "index.sqlite"
    offers = _offers(120, seed=4)
    search_index.build(path, offers)
    db = sqlite3.connect(path)
    sizes = {value: size for value, size in db.execute("SELECT value, size FROM value_sets WHERE facet = 'eqf'")}
    db.close()
    expected: dict[str, int] = {}
    for offer in offers:
        expected[offer.eqf] = expected.get(offer.eqf, 0) + 1
    assert sizes == expected


def test_a_patch_reads_again_only_what_changed_with_every_source_of_a_shared_offer(tmp_path):
    offers = {o.iri: replace(o, source="a") for o in _offers(30, seed=5)}  # an offer's row is under its first source
    iris = sorted(offers)
    shared = iris[3]  # published by two sources, listed one after the other as the listing sorts them
    listing = sorted([(iri, "a", f"v1-{iri}") for iri in iris] + [(shared, "b", "b1")])
    asked: list[list[tuple[str, str]]] = []

    def read(pairs):
        pairs = list(pairs)
        asked.append(pairs)
        seen = []
        for iri, _ in pairs:
            if iri not in seen:
                seen.append(iri)
        return [offers[iri] for iri in seen]

    first = search_index.refresh(tmp_path / "1.sqlite", listing, read, rules="r")
    assert first.whole and first.offers == 30 and asked[-1] == [(iri, s) for iri, s, _ in listing]

    # Source b's copy of the shared offer changed, and another offer changed in source a.
    changed = [(iri, s, "b2" if (iri, s) == (shared, "b") else (f"v2-{iri}" if iri == iris[10] else f)) for iri, s, f in listing]
    patched = search_index.refresh(tmp_path / "2.sqlite", changed, read, previous=tmp_path / "1.sqlite", rules="r")
    assert not patched.whole and patched.read == 2
    assert sorted(asked[-1]) == sorted([(shared, "a"), (shared, "b"), (iris[10], "a")])
    db = sqlite3.connect(tmp_path / "2.sqlite")
    stored = dict(db.execute("SELECT iri, fingerprint FROM offers"))
    db.close()
    assert stored[shared] == f"a: v1-{shared} | b: b2" and stored[iris[10]] == f"v2-{iris[10]}" and len(stored) == 30

    # The same listing again: nothing is read, every row stays.
    again = search_index.refresh(tmp_path / "3.sqlite", changed, read, previous=tmp_path / "2.sqlite", rules="r")
    assert not again.whole and again.read == 0 and asked[-1] == [] and again.offers == 30
