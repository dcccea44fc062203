"""Offer summaries made at harvest time from the statements in hand (``publish.kept_summaries``) are the summaries a
read of the store gives, and a publish uses them only while they are: after its own time-status writes, for an
offer two records describe, after a held run, and when the walk's code changed it reads the store instead."""

from __future__ import annotations

import dataclasses
import random
import sys
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from catalogue.cli.commands import main
from catalogue.config import load_config
from catalogue.harvest.admission import Admission, describe_listed
from catalogue.harvest.derivation.apply import Derivation
from catalogue.harvest.derivation.result import Derived
from catalogue.harvest.rdfio import parse_rdf
from catalogue.publish.generations import current_generation, publish_generation
from catalogue.publish.kept_summaries import Counted, KeptSummaries, read_summaries
from catalogue.publish.offer_data import offer_listing, read_offers
from catalogue.publish.offer_walk import Statements, describe, summarise, term
from catalogue.publish.time_relevance import offer_facts
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.cache import ValidationCache
from catalogue.validation.offers import extract_offers
from catalogue.validation.validator import Validator, ValidatorSettings
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, ROOT
from .sitebuild import run, write_config

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402


def _compare(data_dir: Path, store: OxigraphStore, kept: KeptSummaries | None = None) -> tuple[Counted, list]:
    """Every published offer's summary as the kept files give it and as the store gives it; returns the counts and
    the summaries (the store's), after asserting they are the same."""
    listing = offer_listing(store)
    pairs = [(iri, source) for iri, source, _ in listing]
    counted = Counted()
    from_kept = list(read_summaries(kept or KeptSummaries.in_data_dir(data_dir), listing, pairs, lambda rest: read_offers(store, rest), counted))
    from_store = list(read_offers(store, pairs))
    assert [s.iri for s in from_kept] == [s.iri for s in from_store]
    for a, b in zip(from_kept, from_store, strict=True):
        assert dataclasses.asdict(a) == dataclasses.asdict(b), a.iri
    return counted, from_store


def _published(config) -> OxigraphStore:
    generation = current_generation(config)
    assert generation is not None
    return OxigraphStore.open(generation.store_path, config.base, read_only=True)


def _compare_published(config, kept: KeptSummaries | None = None) -> tuple[Counted, list]:
    """``_compare`` on the catalogue's current published generation."""
    store = _published(config)
    try:
        return _compare(config.data_dir, store, kept)
    finally:
        store.close()


def test_summaries_kept_at_harvest_are_what_the_store_gives(bundled_site):
    """The bundled feeds of every format, a hostile offer and offers with hidden and right-to-left text."""
    counted, summaries = _compare_published(bundled_site.config)
    assert counted.kept == len(summaries) >= 40 and counted.read == 0
    sources = {s.source for s in summaries}
    assert {"hostile", "bidi", "arabic", "norrsunda", "kaamos"} <= sources
    # Not summaries of nothing: titles, providers and records are there.
    assert all(s.titles and s.provider and s.content_hash and s.first_seen for s in summaries)


def test_the_publish_takes_kept_summaries_and_its_own_time_statuses(tmp_path):
    config_path = write_config(tmp_path)
    run(config_path, "harvest")
    config = load_config(config_path)
    meta = current_generation(config).meta
    assert meta["search index"]["summaries kept at harvest"] == meta["offers"] > 0
    assert meta["search index"]["summaries read from the store"] == 0
    # Years later every dated offer has ended: the publish writes that into the records, after the harvest kept
    # its summaries, and the summaries the index is built from say so too.
    live = OxigraphStore.open(config.store.path, config.base)
    try:
        publish_generation(config, live, now=datetime(2040, 1, 1, tzinfo=timezone.utc))
    finally:
        live.close()
    counted, summaries = _compare_published(config)
    assert counted.read == 0
    assert sum(s.status == "ended" for s in summaries) >= 10


def test_an_offer_two_records_describe_is_read_from_the_store(tmp_path, validator):
    """One source, two documents giving the same offer IRI different titles: the store holds both descriptions,
    so neither document's summary alone is the offer's."""
    store = OxigraphStore.open(tmp_path / "store", BASE)
    kept = KeptSummaries(tmp_path / "summaries")
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    vocabulary = load_vocabulary()
    first = extract_offers(parse_rdf(text.encode(), "a.ttl").quads, vocabulary, BASE).offers
    renamed = text.replace('"Data analysis with Python"@en', '"Data analysis in Python"@en', 1)
    assert renamed != text
    second = [r for r in extract_offers(parse_rdf(renamed.encode(), "b.ttl").quads, vocabulary, BASE).offers
              if r.content_hash not in {f.content_hash for f in first}]
    assert len(second) == 1
    admission = Admission(store, "norrsunda", now=datetime(2026, 12, 1, tzinfo=timezone.utc), summaries=kept)
    admission.add(first, validator.validate_records(first))
    admission.add(second, validator.validate_records(second))
    admission.switch()
    db = kept.open("norrsunda")
    assert db is not None
    rows = {iri for (iri,) in db.execute("SELECT iri FROM summaries")}
    db.close()
    assert second[0].iri not in rows and len(rows) == len(first) - 1
    try:
        counted, summaries = _compare(tmp_path, store, kept)
        assert counted.read == 1 and counted.kept == len(first) - 1
        twice = next(s for s in summaries if s.iri == second[0].iri)
        assert twice.titles["en"] in ("Data analysis with Python", "Data analysis in Python")
    finally:
        store.close()


def test_a_held_run_leaves_the_kept_summaries_as_they_were(tmp_path):
    feed = tmp_path / "feed.ttl"
    original = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    feed.write_text(original, encoding="utf-8")
    head = write_config(tmp_path).read_text(encoding="utf-8").split("[[sources]]")[0]
    config_path = tmp_path / "catalogue.toml"
    config_path.write_text(head + f'[[sources]]\nid = "norrsunda"\nname = "Norrsunda"\nharvester = "rdf"\nurl = "{feed.as_posix()}"\nmax_shrink = 0.1\n',
                           encoding="utf-8")
    run(config_path, "harvest")
    config = load_config(config_path)
    kept = KeptSummaries.in_data_dir(config.data_dir)
    before = kept.path("norrsunda").read_bytes()
    # Every offer but the first gone: far more than the 10% the source may shrink by, so the run is held.
    blocks = original.split("\n\n")
    offers = [i for i, block in enumerate(blocks) if "a elm:LearningOpportunity" in block]
    assert len(offers) >= 3
    feed.write_text("\n\n".join(b for i, b in enumerate(blocks) if i not in offers[1:]), encoding="utf-8")
    held = CliRunner().invoke(main, ["--config", str(config_path), "harvest"], catch_exceptions=False)
    assert held.exit_code != 0 and "The source shrank from 7 to 1 offers" in held.output
    assert kept.path("norrsunda").read_bytes() == before
    assert sorted(p.name for p in kept.folder.iterdir()) == [kept.path("norrsunda").name]
    counted, _ = _compare_published(config)
    assert counted.read == 0


def test_summaries_kept_by_other_code_are_not_used(tmp_path):
    config_path = write_config(tmp_path)
    run(config_path, "harvest")
    config = load_config(config_path)
    other = KeptSummaries.in_data_dir(config.data_dir)
    other.rules = "made by another version of the walk"
    counted, summaries = _compare_published(config, other)
    assert counted.kept == 0 and counted.read == len(summaries) > 0


@pytest.mark.parametrize("value", [
    'a "quoted" word', "back\\slash", "line\nbreak\r\nand\ttab", "bell\x07 and \x1f unit", "emoji 🎓 and ö", "\u2028\u2029",
    '"', "\\", "\\u0041 is not A", "", " spaced ", "@en", "^^<x>",
])
def test_the_walk_reads_back_every_literal_oxigraph_writes(value):
    for literal in (ox.Literal(value), ox.Literal(value, language="sv"), ox.Literal(value, datatype=ox.NamedNode("https://example.org/t"))):
        read = term(str(literal))
        assert (read.value, read.language, read.literal) == (value, literal.language, True)
    read = term(str(ox.NamedNode("https://example.org/a?b=c#d")))
    assert (read.value, read.literal) == ("https://example.org/a?b=c#d", False)


def test_a_summary_does_not_depend_on_the_order_statements_come_in():
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_bytes()
    records = extract_offers(parse_rdf(text, "n.ttl").quads, load_vocabulary(), BASE).offers
    assert len(records) >= 3
    for record in records:
        lines = list(record.lines)
        made = summarise(Statements().add_lines(lines).ready(), record.iri, "n")
        random.Random(7).shuffle(lines)
        again = summarise(Statements().add_lines(lines).ready(), record.iri, "n")
        as_terms = summarise(Statements().add_all(record.triples()).ready(), record.iri, "n")
        assert dataclasses.asdict(made) == dataclasses.asdict(again) == dataclasses.asdict(as_terms)
        assert made.titles and made.provider is not None


def test_a_second_harvest_reuses_what_it_kept_of_unchanged_offers(tmp_path, validator):
    store = OxigraphStore.open(tmp_path / "store", BASE)
    kept = KeptSummaries(tmp_path / "summaries")
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    vocabulary = load_vocabulary()
    records = extract_offers(parse_rdf(text.encode(), "a.ttl").quads, vocabulary, BASE).offers
    first = Admission(store, "norrsunda", now=datetime(2026, 11, 1, tzinfo=timezone.utc), summaries=kept)
    first.add(records, validator.validate_records(records))
    first.switch()
    assert first.descriptions_reused == 0
    edited = text.replace('"Data analysis with Python"@en', '"Data analysis in Python"@en', 1)
    records = extract_offers(parse_rdf(edited.encode(), "a.ttl").quads, vocabulary, BASE).offers
    reports = validator.validate_records(records)
    second = Admission(store, "norrsunda", now=datetime(2026, 11, 2, tzinfo=timezone.utc), summaries=kept)
    # An unchanged offer whose record now says more: a value the catalogue derived for it.
    unchanged = next(r for r, report in zip(records, reports) if report.conforms and "python" not in r.iri)
    derived = Derivation(unchanged.iri, unchanged.iri, "http://data.europa.eu/snb/model/elm/mode",
                         ox.NamedNode("http://data.europa.eu/snb/learning-assessment/920fbb3cbe"),
                         Derived("http://data.europa.eu/snb/learning-assessment/920fbb3cbe", 0.9, "mode/test", "a test",
                                 {"en": "Derived for a test.", "sv": "Härlett för ett test."}))
    second.add(records, reports, {unchanged.iri: [derived]})
    second.switch()
    published = sum(report.conforms for report in reports)
    assert published >= 5 and second.descriptions_reused == published - 1
    try:
        counted, summaries = _compare(tmp_path, store, kept)
    finally:
        store.close()
    assert counted.read == 0 and counted.kept == published
    assert any(s.titles.get("en") == "Data analysis in Python" for s in summaries)
    # What the records say is the second harvest's: the unchanged offers were first seen on the first day, changed
    # offers on the second.
    assert {s.changed[:10] for s in summaries} == {"2026-11-01", "2026-11-02"}
    assert [d["rule"] for d in next(s for s in summaries if s.iri == unchanged.iri).derived] == ["mode/test"]


def test_summaries_made_where_offers_are_validated_are_the_harvest_s_own(tmp_path):
    """The harvest has each listed offer described in the validation worker that validates it
    (``describe_listed``): the same summary and time facts as describing it in the harvest's process, none for an
    offer that goes to quarantine, and none for an offer whose report comes from the cache."""
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    # N-Triples keeps a line separator inside a literal as it is: the offer's text is still one statement a line.
    edited = text.replace('"Data analysis with Python"@en', '"Data analysis\u2028with Python"@en', 1)
    assert edited != text
    records = extract_offers(parse_rdf(edited.encode(), "a.ttl").quads, load_vocabulary(), BASE).offers
    records += extract_offers(parse_rdf(generate_document(40), "generated.ttl").quads, load_vocabulary(), BASE).offers
    settings = ValidatorSettings(workers=2, parallel_from=10, batch_size=7, cache=ValidationCache(tmp_path / "cache.sqlite"))
    with Validator(BASE, settings) as validator:
        reports, made = validator.validate_records_with(records, partial(describe_listed, "n"))
        assert validator._pool is not None  # the batches went to the worker processes
        again, made_again = validator.validate_records_with(records, partial(describe_listed, "n"))
    listed = {report.offer for report in reports if report.conforms}
    assert 0 < len(listed) < len(records) and set(made) == listed
    assert any("\u2028" in record.ntriples() for record in records if record.iri in listed)
    for record in records:
        if record.iri in listed:
            statements = Statements().add_lines(record.lines).ready()
            assert dataclasses.asdict(made[record.iri].summary) == dataclasses.asdict(describe(statements, record.iri, "n"))
            assert made[record.iri].facts == offer_facts(statements, record.iri)
    assert made_again == {} and [r.to_cache() for r in again] == [r.to_cache() for r in reports]
    # The admission takes what was made elsewhere and describes the rest itself (a batch of which some reports came
    # from the cache).
    store = OxigraphStore.open(tmp_path / "store", BASE)
    try:
        admission = Admission(store, "n", summaries=KeptSummaries(tmp_path / "summaries"))
        some = dict(list(made.items())[::2])
        mixed, own = admission.describe(records, reports, some), admission.describe(records, reports)
    finally:
        store.close()
    assert set(mixed) == set(own) == listed and all(mixed[iri] is some[iri] for iri in some)
    assert all(dataclasses.asdict(mixed[iri].summary) == dataclasses.asdict(own[iri].summary) for iri in listed)


def test_taking_the_record_out_of_a_summary_leaves_its_description(tmp_path, validator):
    """What a kept summary is reused as: exactly what describing the offer gives, whatever its record said."""
    from catalogue.publish.offer_data import gather
    from catalogue.publish.offer_walk import describe, without_record

    store = OxigraphStore.open(tmp_path / "store", BASE)
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_bytes()
    records = extract_offers(parse_rdf(text, "a.ttl").quads, load_vocabulary(), BASE).offers
    admission = Admission(store, "norrsunda", now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    admission.add(records, validator.validate_records(records))
    admission.switch()
    try:
        iris = [iri for iri, _source, _fingerprint in offer_listing(store)]
        statements = gather(store, "norrsunda", iris)
    finally:
        store.close()
    with_records = [summarise(statements, iri, "norrsunda") for iri in iris]
    assert any(s.missing for s in with_records) and all(s.first_seen for s in with_records)
    for iri, summary in zip(iris, with_records, strict=True):
        assert dataclasses.asdict(without_record(summary)) == dataclasses.asdict(describe(statements, iri, "norrsunda"))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_site_s_offer_reads_take_the_kept_summaries_that_hold(tmp_path, monkeypatch, workers):
    """A kept summary is taken only for its listed fingerprint: one is altered after the harvest (so it can be told
    from the store's), and a read for another fingerprint of the same offer gets the store's."""
    import pickle
    import sqlite3

    from catalogue.publish import parallel_reads

    config_path = write_config(tmp_path)
    run(config_path, "harvest")
    config = load_config(config_path)
    kept = KeptSummaries.in_data_dir(config.data_dir)
    store = _published(config)
    try:
        listing = offer_listing(store)
        altered, source, _ = listing[3]
        with sqlite3.connect(kept.path(source)) as db:
            (blob,) = db.execute("SELECT summary FROM summaries WHERE iri = ?", (altered,)).fetchone()
            summary = pickle.loads(blob)
            summary.titles = {"en": "As kept at harvest"}
            db.execute("UPDATE summaries SET summary = ? WHERE iri = ?", (pickle.dumps(summary), altered))
        db.close()
        pairs = [(iri, s) for iri, s, _ in listing]
        fingerprints = [fingerprint for _, _, fingerprint in listing]
        monkeypatch.setattr(parallel_reads, "SERIAL_BELOW", 0)
        read = list(parallel_reads.map_published_offers(store, pairs, list, workers=workers, chunk=5, kept=kept, fingerprints=fingerprints))
        from_store = {s.iri: s for s in read_offers(store, pairs)}
        assert [s.iri for s in read] == list(from_store)
        assert next(s for s in read if s.iri == altered).titles == {"en": "As kept at harvest"}
        assert all(s == from_store[s.iri] for s in read if s.iri != altered)
        fingerprints[3] = "a fingerprint the offer no longer has"
        read = list(parallel_reads.map_published_offers(store, pairs, list, workers=workers, chunk=5, kept=kept, fingerprints=fingerprints))
        assert next(s for s in read if s.iri == altered) == from_store[altered]
    finally:
        store.close()


def test_an_index_row_s_fingerprint_gives_each_source_s_back():
    from catalogue.publish.search_index import _combined, source_fingerprints

    by = [("feed-a", "h1 2026-01-01T00:00:00Z 2026-01-02T00:00:00Z true 0 - http://x/level"), ("feed-b", "h2 - - false 3 - -")]
    assert source_fingerprints(_combined(by), ["feed-a", "feed-b"]) == [fingerprint for _, fingerprint in by]
    assert source_fingerprints(_combined(by[:1]), ["feed-a"]) == [by[0][1]]
    assert source_fingerprints(None, ["feed-a", "feed-b"]) == [None, None]


def test_the_time_facts_kept_at_harvest_are_what_the_store_gives_and_are_used(tmp_path):
    import json
    import sqlite3

    from catalogue.publish import time_relevance

    # Besides the bundled feeds, an offer one can start at any time and one the provider cancelled.
    text = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
    flexible = text.replace("lo:2027-plc-automation a elm:LearningOpportunity ;",
                            "lo:2027-plc-automation a elm:LearningOpportunity ;\n    elm:additionalNote [ a elm:Note ; "
                            f"dcterms:subject <{time_relevance.FLEXIBLE_START_TOPIC}> ; elm:noteLiteral \"Start any Monday\"@en ] ;\n"
                            '    elm:status "cancelled" ;', 1)
    assert flexible != text
    feed = tmp_path / "flexible.ttl"
    feed.write_text(flexible, encoding="utf-8")
    config_path = write_config(tmp_path, f'\n[[sources]]\nid = "flexible"\nname = "Flexible"\nharvester = "rdf"\nurl = "{feed.as_posix()}"\n')
    run(config_path, "harvest")
    config = load_config(config_path)
    kept = KeptSummaries.in_data_dir(config.data_dir)
    live = OxigraphStore.open(config.store.path, config.base)
    try:
        assert any(facts[3] and facts[4] == ["cancelled"] for _hash, facts in kept.facts("flexible").values())
        compared = 0
        for source in live.source_ids():
            from_store = time_relevance._facts(live, live.source_graph(source))
            from_harvest = kept.facts(source)
            assert from_harvest is not None and set(from_harvest) == set(from_store), source
            for offer, (_hash, facts) in from_harvest.items():
                start, end, deadlines, flexible, statuses = from_store[offer]
                # Deadlines and statuses are used as sets (the latest, any cancellation); the store lists them in any order.
                assert (facts[0], facts[1], sorted(facts[2]), facts[3], sorted(facts[4])) == \
                    (start, end, sorted(deadlines), flexible, sorted(statuses)), offer
                compared += 1
        assert compared >= 40
        # One offer's kept facts say it ended in 2020: the next publish's statuses come from what was kept.
        source = "norrsunda"
        offer = next(iter(kept.facts(source)))
        with sqlite3.connect(kept.path(source)) as db:
            db.execute("UPDATE summaries SET facts = ? WHERE iri = ?", (json.dumps([None, "2020-01-01T00:00:00Z", [], False, []]), offer))
        db.close()
        publish_generation(config, live, now=datetime(2026, 12, 7, tzinfo=timezone.utc))
        statuses = {row["o"].value: row["s"].value for row in live.query(
            f"SELECT ?o ?s WHERE {{ GRAPH <{live.records_graph(source)}> {{ ?r foaf:primaryTopic ?o ; mcc:timeStatus ?s }} }}", default_graphs=[])}
        assert statuses[offer].endswith("Ended")
    finally:
        live.close()


def test_a_publish_removes_what_a_stopped_harvest_left_but_not_what_a_running_one_writes(tmp_path):
    import subprocess
    import sys

    kept = KeptSummaries(tmp_path / "summaries")
    kept.folder.mkdir()
    writing = kept.writer("running")
    writing.add([])
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    left = kept.folder / f"{kept.path('stopped').stem}.{ended.stdout.strip()}-1.building"
    left.write_bytes(b"half written")
    gone = kept.path("gone")
    gone.write_bytes(b"a source no longer in the catalogue")
    kept.keep_only(["running", "stopped"])
    assert writing.path.exists() and not left.exists() and not gone.exists()
    writing.commit()
    assert kept.path("running").exists()
