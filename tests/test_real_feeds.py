"""Real public feeds, served on 127.0.0.1 as their publishers serve them, list at least 90% of their offers
with no per-source options; what the catalogue derives for them is marked with its rule.

The files and their sources and licences are in tests/fixtures/real/SOURCES.md. The Europass LOQ XML
sample is the Commission's (../shared/elm/samples, not redistributed here).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import SHARED
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def _catalogue(tmp_path, validator, kind: str) -> HarvestingCatalogue:
    class Real(HarvestingCatalogue):
        source_id = "real"
        source_name = "A real public feed"
        harvester = kind

    return Real(tmp_path, validator)


def _listed_share(catalogue: HarvestingCatalogue, outcome) -> float:
    seen = outcome.run.published + outcome.run.quarantined
    assert seen > 0, outcome.run.message
    return outcome.run.published / seen


def _derived(catalogue: HarvestingCatalogue) -> list[tuple[str, str, str]]:
    rows = catalogue.store.query(
        "SELECT ?p ?o ?rule WHERE { ?r mcc:derivation ?d . ?d rdf:predicate ?p ; rdf:object ?o ; mcc:rule ?rule }")
    return [(r["p"].value, r["o"].value, r["rule"].value) for r in rows]


@pytest.mark.parametrize("name", ["ou-example.xml", "wychwolf-moodle.xml"])
def test_real_xcri_cap_feeds(tmp_path, validator, name):
    catalogue = _catalogue(tmp_path, validator, "xcri-cap")
    with FeedServer() as server:
        outcome = catalogue.harvest(server.add(f"/feeds/{name}", (REAL / "xcri-cap" / name).read_bytes(), "application/xml"))
    assert _listed_share(catalogue, outcome) >= 0.9, [e.message for e in outcome.errors]
    derived = _derived(catalogue)
    # Neither feed names a country; both give UK postcodes, which the catalogue reads the country from.
    assert ("http://data.europa.eu/snb/model/elm/countryCode", "http://publications.europa.eu/resource/authority/country/GBR", "country/postcode") in derived
    assert any(n.kind == "derived" and n.field == "countryCode" for n in outcome.notes)


def test_the_real_open_university_feed_keeps_its_placeholder_date_out(tmp_path, validator):
    catalogue = _catalogue(tmp_path, validator, "xcri-cap")
    with FeedServer() as server:
        catalogue.harvest(server.add("/ou.xml", (REAL / "xcri-cap" / "ou-example.xml").read_bytes(), "application/xml"))
    starts = {r["s"].value for r in catalogue.store.query("SELECT ?s WHERE { ?o elm:startDate ?s }")}
    assert starts and not any(s.startswith("1900") for s in starts)
    flexible = catalogue.store.query("ASK { ?o elm:additionalNote/dcterms:subject <https://w3id.org/mc-catalogue/note-topic/flexible-start> }")
    assert bool(flexible)


def _serve_ooapi(server: FeedServer, offerings: bytes) -> str:
    course = json.loads((REAL / "ooapi" / "course-30010000-0000-0000-0000-000000000000.json").read_text(encoding="utf-8"))
    # The responses as an API answers them: the course in a page of courses, its offerings page as published.
    page = {"pageSize": 100, "pageNumber": 1, "hasPreviousPage": False, "hasNextPage": False, "items": [course]}
    server.add("/v5/courses?pageNumber=1&pageSize=100", json.dumps(page).encode(), "application/json")
    server.add(f"/v5/courses/{course['courseId']}/offerings?pageNumber=1&pageSize=100", offerings, "application/json")
    return server.url("/v5/")


OFFERINGS = REAL / "ooapi" / "course-offerings-30010000-0000-0000-0000-000000000000.json"


def test_real_ooapi_responses(tmp_path, validator):
    # The repository holds page 1 of 8 of the offerings; served as the last page, the course is listed.
    offerings = json.loads(OFFERINGS.read_text(encoding="utf-8"))
    offerings["hasNextPage"] = False
    catalogue = _catalogue(tmp_path, validator, "ooapi")
    with FeedServer() as server:
        outcome = catalogue.harvest(_serve_ooapi(server, json.dumps(offerings).encode()))
    assert _listed_share(catalogue, outcome) >= 0.9, outcome.run.message


def test_real_ooapi_paging_that_promises_a_missing_page_is_reported(tmp_path, validator):
    catalogue = _catalogue(tmp_path, validator, "ooapi")
    with FeedServer() as server:
        outcome = catalogue.harvest(_serve_ooapi(server, OFFERINGS.read_bytes()))
    assert outcome.run.outcome == "partial"
    assert any("page 2 is missing although page 1 said hasNextPage" in e.message for e in outcome.errors)


def _sdo_blocks(kind: str) -> list[str]:
    """The RDFa or JSON-LD blocks of schema.org's course examples, each as the page it was taken from would hold it."""
    text = (REAL / "schemaorg" / "sdo-course-examples.txt").read_text(encoding="utf-8")
    marker = {"rdfa": "RDFA:", "jsonld": "JSON:"}[kind]
    blocks = []
    for example in re.split(r"^TYPES:", text, flags=re.M)[1:]:
        part = example.split(marker, 1)[1]
        part = re.split(r"^(?:PRE-MARKUP|MICRODATA|RDFA|JSON):\s*$", part, flags=re.M)[0].strip()
        if kind == "rdfa":
            blocks.append(f"<!DOCTYPE html><html lang=\"en\"><head><title>Course</title></head>{part}</html>")
        else:
            blocks.append(f"<!DOCTYPE html><html lang=\"en\"><head><title>Course</title>{part}</head><body></body></html>")
    return blocks


@pytest.mark.parametrize("kind", ["rdfa", "jsonld"])
def test_real_schema_org_course_examples(tmp_path, validator, kind):
    catalogue = _catalogue(tmp_path, validator, "schemaorg")
    with FeedServer() as server:
        pages = []
        for number, block in enumerate(_sdo_blocks(kind)):
            pages.append(server.add(f"/courses/{kind}-{number}.html", block, "text/html", charset="utf-8"))
        urls = "".join(f"<url><loc>{p}</loc></url>" for p in pages)
        sitemap = server.add("/sitemap.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>', "application/xml")
        outcome = catalogue.harvest(sitemap)
    assert len(pages) == 8
    assert _listed_share(catalogue, outcome) >= 0.9, [(e.record, e.message) for e in outcome.errors]


def test_the_commissions_loq_xml_sample_is_read_and_its_generated_values_reported(tmp_path, validator):
    """The Commission's sample is generated (random text where coordinates belong, a start after its end):
    its offers are read and kept out with reports naming each broken value, not lost."""
    sample = SHARED / "elm" / "samples" / "loq_withLearningAchievementSpecification.xml"
    if not sample.exists():
        pytest.skip("the Commission's LOQ XML sample is expected in ../shared/elm/samples")
    catalogue = _catalogue(tmp_path, validator, "elm-xml")
    with FeedServer() as server:
        outcome = catalogue.harvest(server.add("/loq.xml", sample.read_bytes(), "application/xml"))
    assert (outcome.run.published, outcome.run.quarantined) == (0, 2)
    messages = {r["m"].value for r in catalogue.store.query(
        "SELECT ?m WHERE { GRAPH ?g { ?f a mcc:Finding ; sh:resultSeverity sh:Violation ; sh:resultMessage ?m FILTER(lang(?m) = 'en') } }",
        default_graphs=[])}
    assert any("of clv:longitude is not written in the expected form" in m for m in messages)
    assert "The start date may not come after the end date." in messages
