"""Batched validation gives each offer the report it would get alone; workers, cache and order do not change it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from catalogue.harvest.rdfio import parse_rdf, read_rdf
from catalogue.validation.cache import ValidationCache
from catalogue.validation.offers import extract_offers
from catalogue.validation.validator import Validator, ValidatorSettings
from catalogue.vocab import load_vocabulary

from .conftest import BASE, EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402


def example_records():
    records = []
    for path in sorted(EXAMPLES.glob("*.ttl")):
        records += extract_offers(read_rdf(str(path)).quads, load_vocabulary(), BASE).offers
    return records


def as_comparable(reports):
    return [(r.offer, r.conforms, r.microcredential, r.missing, [(f.severity, f.path, f.value, f.focus, f.component) for f in r.findings]) for r in reports]


def test_a_batch_gives_the_same_reports_as_one_offer_at_a_time():
    records = example_records()
    alone = [Validator(BASE).validate_records([record])[0] for record in records]
    together = Validator(BASE, ValidatorSettings(batch_size=100)).validate_records(records)
    assert as_comparable(together) == as_comparable(alone)


def test_a_bad_offer_in_a_batch_does_not_spill_onto_its_neighbours():
    document = parse_rdf(generate_document(60), "generated.ttl")
    records = extract_offers(document.quads, load_vocabulary(), BASE).offers
    reports = Validator(BASE, ValidatorSettings(batch_size=60)).validate_records(records)
    broken = {r.offer.rsplit("/", 1)[-1] for r in reports if not r.conforms}
    assert broken == {"7", "32", "57"}  # the generator breaks every 25th offer from the 8th
    assert all(r.offer.rsplit("/", 1)[-1] in broken for r in reports if r.violations)


def test_worker_processes_give_the_same_reports_in_input_order():
    document = parse_rdf(generate_document(700), "generated.ttl")
    records = extract_offers(document.quads, load_vocabulary(), BASE).offers
    serial = Validator(BASE, ValidatorSettings(workers=1)).validate_records(records)
    with Validator(BASE, ValidatorSettings(workers=2, parallel_from=100, batch_size=50)) as parallel:
        pooled = parallel.validate_records(records)
    assert [r.offer for r in pooled] == [r.iri for r in records]
    assert as_comparable(pooled) == as_comparable(serial)


def test_cache_returns_unchanged_offers_and_revalidates_changed_ones(tmp_path: Path):
    cache = ValidationCache(tmp_path / "cache.sqlite")
    validator = Validator(BASE, ValidatorSettings(cache=cache))
    first = validator.validate_document(parse_rdf(generate_document(50), "a.ttl")).reports
    assert not any(r.cached for r in first)
    changed = parse_rdf(generate_document(50, changed=frozenset({3, 4})), "b.ttl")
    second = validator.validate_document(changed).reports
    fresh = [r.offer.rsplit("/", 1)[-1] for r in second if not r.cached]
    assert fresh == ["3", "4"]
    third = Validator(BASE, ValidatorSettings(cache=ValidationCache(tmp_path / "cache.sqlite"))).validate_document(changed).reports
    assert all(r.cached for r in third) and as_comparable(third) == as_comparable(second)
    # Every field of every finding comes back from the cache as it was found (messages, shapes, Annex I elements).
    assert [r.findings for r in third] == [r.findings for r in second]
    assert sum(len(r.findings) for r in third) > 50 and any(f.element for r in third for f in r.findings)


def test_blank_nodes_get_the_same_iris_every_time():
    turtle = """@prefix elm: <http://data.europa.eu/snb/model/elm/> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <https://x.example/o> a elm:LearningOpportunity ; elm:priceDetail [ a elm:PriceDetail ; elm:amount [ a elm:Amount ] ] ."""
    first = extract_offers(parse_rdf(turtle.encode(), "a.ttl").quads, load_vocabulary(), BASE).offers[0]
    second = extract_offers(parse_rdf(turtle.encode(), "a.ttl").quads, load_vocabulary(), BASE).offers[0]
    assert first.content_hash == second.content_hash
    assert all("_:" not in line for line in first.lines)
    assert any(f"{BASE}.well-known/genid/" in line for line in first.lines)


def test_literals_are_hashed_in_the_form_the_store_keeps():
    turtle = """@prefix elm: <http://data.europa.eu/snb/model/elm/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <https://x.example/o> a elm:LearningOpportunity ; elm:duration "PT50H"^^xsd:duration ; elm:x "250.00"^^xsd:decimal ."""
    record = extract_offers(parse_rdf(turtle.encode(), "a.ttl").quads, load_vocabulary(), BASE).offers[0]
    assert any('"P2DT2H"' in line for line in record.lines) and any('"250"^^' in line for line in record.lines)


@pytest.mark.parametrize("count", [0, 1])
def test_offers_without_content_are_still_reported(count):
    turtle = "@prefix elm: <http://data.europa.eu/snb/model/elm/> .\n" + "".join(
        f"<https://x.example/o{i}> a elm:LearningOpportunity .\n" for i in range(count)
    )
    if count == 0:
        turtle += "<https://x.example/x> <https://x.example/p> 1 .\n"
    reports = Validator(BASE).validate_document(parse_rdf(turtle.encode(), "a.ttl")).reports
    assert len(reports) == count
    if count:
        assert not reports[0].conforms
        # no title, no provider, no way to learn more (a result on the offer itself, without a path)
        assert {v.path for v in reports[0].violations} >= {"dcterms:title", "", "elm:providedBy"}


def test_sources_validated_from_several_threads_at_once_get_their_own_reports(tmp_path: Path):
    # The harvest validates the sources it reads at the same time from their own threads, into one pool and one cache.
    from concurrent.futures import ThreadPoolExecutor

    documents = [generate_document(300, start=start) for start in (0, 300, 600)]
    batches = [extract_offers(parse_rdf(d, f"feed-{i}.ttl").quads, load_vocabulary(), BASE).offers for i, d in enumerate(documents)]
    alone = [as_comparable(Validator(BASE, ValidatorSettings(workers=1)).validate_records(b)) for b in batches]
    settings = ValidatorSettings(workers=2, parallel_from=100, batch_size=40, cache=ValidationCache(tmp_path / "cache.sqlite"))
    with Validator(BASE, settings) as shared, ThreadPoolExecutor(3) as threads:
        together = list(threads.map(shared.validate_records, batches))
    for batch, reports, expected in zip(batches, together, alone):
        assert [r.offer for r in reports] == [r.iri for r in batch]
        assert as_comparable(reports) == expected
