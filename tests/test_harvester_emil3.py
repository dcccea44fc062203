"""The ``emil3`` harvester (Susa-navet's EMIL 3 API) against a real HTTP server on 127.0.0.1, through the real pipeline.

The fixtures in tests/fixtures/emil3/ are EMIL 3 list answers written from the API's OpenAPI
description (Sundsvallskommun/api-service-education-data, src/main/resources/integration/
susa-navet-emil3.yaml): providers and educations on one page, six events on three pages of two.
The events cover a rich event (every optional field), a cancelled one with the optional fields
absent, one whose education is missing, one whose provider is missing, one made from the event
alone and one that has expired. The delta answer removes one event, renames one and adds one.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from catalogue.config import Config, SourceConfig
from catalogue.harvest import pipeline
from catalogue.harvest.contract import HarvestContext, RecordFailed
from catalogue.harvest.state import HarvestState
from catalogue.publish.time_relevance import time_status
from catalogue.store.oxigraph import OxigraphStore
from catalogue.vocab import load_vocabulary
from harvesters.emil3 import Emil3Harvester, texts, wgs84

from .conftest import BASE
from .feedserver import FeedServer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "emil3"
API = "/susa-navet/emil3"
OFFER = BASE + "offer/susa/"
LANG = "http://publications.europa.eu/resource/authority/language/"
TOPIC = "https://w3id.org/mc-catalogue/note-topic/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
YH_POINTS = "https://w3id.org/mc-catalogue/credit-system/yh"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server():
    with FeedServer() as running:
        yield running


class Harness:
    """One source, one store, one state; runs the pipeline as the scheduler would."""

    def __init__(self, tmp_path: Path, validator, server: FeedServer, prefix: str, **options):
        self.server, self.prefix = server, prefix
        self.store = OxigraphStore.open(None, BASE)
        self.state = HarvestState(None)
        self.validator = validator
        options = {"timeout": 5, "retries": 0, "page_size": 2, **options}
        self.source = SourceConfig("susa", "Susa-navet", "emil3", (server.url(prefix + API),), options)
        self.config = Config(base=BASE, data_dir=tmp_path / "data", sources=(self.source,))
        self.clock = datetime(2026, 12, 1, tzinfo=UTC)

    def serve_full(self) -> None:
        """Providers and educations on one page each (at the bare path), events on three exact page URLs."""
        self.server.add(f"{self.prefix}{API}/educationProviders", fixture("educationProviders.json"), "application/json")
        self.server.add(f"{self.prefix}{API}/educationInfos", fixture("educationInfos.json"), "application/json")
        for page in range(3):
            self.server.add(f"{self.prefix}{API}/educationEvents?page={page}&size=2", fixture(f"educationEvents.page-{page}.json"), "application/json")

    def serve_delta(self) -> None:
        # A route at the bare path wins over the exact page URLs: every events request now gets the delta.
        self.server.add(f"{self.prefix}{API}/educationProviders", fixture("delta.empty.educationProviders.json"), "application/json")
        self.server.add(f"{self.prefix}{API}/educationInfos", fixture("delta.empty.educationInfos.json"), "application/json")
        self.server.add(f"{self.prefix}{API}/educationEvents", fixture("delta.educationEvents.json"), "application/json")

    def run(self, **options):
        if options:
            self.source = SourceConfig("susa", "Susa-navet", "emil3", self.source.urls, {**self.source.options, **options})
        self.clock += timedelta(minutes=1)
        return harvest(self.config, self.source, self.store, self.state, self.validator, self.clock)

    def queries(self, name: str) -> list[dict]:
        path = f"{self.prefix}{API}/{name}"
        return [parse_qs(urlsplit(p).query) for _, p, _ in self.server.requests if p.split("?")[0] == path]

    def offers(self, quarantined: bool = False) -> set[str]:
        graph = self.store.quarantine_graph("susa") if quarantined else self.store.source_graph("susa")
        return {r["o"].value for r in self.store.query("SELECT ?o WHERE { ?o a elm:LearningOpportunity }", default_graphs=[graph])}

    def all_offers(self) -> set[str]:
        return self.offers() | self.offers(quarantined=True)

    def value(self, offer: str, path: str) -> set[str]:
        graphs = [self.store.source_graph("susa"), self.store.quarantine_graph("susa")]
        return {r["v"].value for r in self.store.query(f"SELECT ?v WHERE {{ <{offer}> {path} ?v }}", default_graphs=graphs)}

    def terms(self, offer: str, path: str) -> set:
        graphs = [self.store.source_graph("susa"), self.store.quarantine_graph("susa")]
        return {r["v"] for r in self.store.query(f"SELECT ?v WHERE {{ <{offer}> {path} ?v }}", default_graphs=graphs)}


def harvest(config: Config, source: SourceConfig, store, state, validator, now: datetime):
    """The real pipeline, with the harvester found by its kind through the entry points."""
    return pipeline.harvest_source(config, source, store, state, validator, now=now)


@pytest.fixture()
def h(tmp_path, validator, server, request):
    harness = Harness(tmp_path, validator, server, "/" + re.sub(r"[^A-Za-z0-9]+", "-", request.node.name))
    harness.serve_full()
    return harness


def notes(outcome, kind: str | None = None, field: str | None = None) -> list:
    return [n for n in outcome.notes if (kind is None or n.kind == kind) and (field is None or field in n.field)]


# -- a full read ---------------------------------------------------------------------------------


def test_a_full_read_follows_the_pages_and_joins_events_with_education_and_provider(h):
    outcome = h.run()
    assert outcome.run.outcome == "partial", outcome.run.message  # two events cannot be read: see below
    assert [q["page"] for q in h.queries("educationEvents")] == [["0"], ["1"], ["2"]]
    assert all("updatedSince" not in q for q in h.queries("educationEvents"))
    assert h.all_offers() == {OFFER + "e.1", OFFER + "e.2", OFFER + "e.5"}
    # The rich event is listed; e.2 has neither a web page nor a description, so a learner could not act on it.
    assert OFFER + "e.1" in h.offers() and OFFER + "e.2" in h.offers(quarantined=True)
    errors = {(e.record, e.code) for e in outcome.errors}
    assert errors == {("e.3", "missing-education"), ("e.4", "missing-provider")}
    # the event without its education but with a title of its own is made from the event alone, and says so
    assert any(n.record == "e.5" and n.field == "education" for n in notes(outcome, "unmapped"))
    # the expired event is left out, with a note
    assert any(n.record == "e.6" and n.field == "expires" for n in notes(outcome, "dropped"))


def test_the_rich_event_maps_every_part(h):
    h.run()
    e1 = OFFER + "e.1"
    assert h.value(e1, "dcterms:title") == {"Drifttekniker, kraft och värme – Sundsvall 2026"}
    description = h.value(e1, "dcterms:description")
    assert any("Lär dig driva kraftvärmeverk." in d and "Distansutbildning med träffar" in d and "<p>" not in d for d in description)
    assert h.value(e1, "foaf:homepage/elm:contentUrl") == {"https://norrsunda-yh.example/drifttekniker/2026"}
    assert "https://norrsunda-yh.example/ansok" in h.value(e1, "elm:supplementaryDocument/elm:contentUrl")
    assert h.value(e1, "dcterms:temporal/elm:startDate") == {"2026-08-24T00:00:00Z"}
    assert h.value(e1, "dcterms:temporal/elm:endDate") == {"2027-06-04T23:59:59Z"}
    assert h.value(e1, "elm:applicationDeadline") == {"2026-05-15T23:59:59Z"}
    assert h.value(e1, "elm:status") == set()
    assert h.value(e1, "elm:mode") == {"http://data.europa.eu/snb/learning-assessment/e92d221e4d"}  # blended: mandatory on-site sessions
    assert h.value(e1, "elm:learningSchedule") == {"http://data.europa.eu/snb/learning-schedule/f230bae523"}
    schedule = " ".join(h.value(e1, "elm:scheduleInformation/elm:noteLiteral"))
    assert "Individuell studietakt" in schedule and "Studietid: dagtid" in schedule and "obligatoriska träffar: 4" in schedule
    # The pace of study (50 %) is a note of its own, with the catalogue's pace topic, not a line of the schedule
    pace = h.store.query(f"SELECT ?v WHERE {{ <{e1}> elm:additionalNote ?n . ?n dcterms:subject <{TOPIC}pace> ; elm:noteLiteral ?v }}",
                         default_graphs=[h.store.source_graph("susa")])
    assert {r["v"].value for r in pace} == {"Studietakt: 50 %", "Pace of study: 50 %"}
    assert "Studietakt: 50 %" not in schedule
    assert h.value(e1, "elm:defaultLanguage") == {LANG + "SWE"}
    assert h.value(e1, "elm:learningAchievementSpecification/dcterms:language") == {LANG + "SWE", LANG + "ENG"}
    assert h.value(e1, "elm:priceDetail/elm:amount/rdf:value") == {"12500"}
    assert h.value(e1, "elm:priceDetail/elm:amount/elm:unit") == {"http://publications.europa.eu/resource/authority/currency/SEK"}
    assert any("2500" in d for d in h.value(e1, "elm:priceDetail/dcterms:description"))
    admission = " ".join(h.value(e1, "elm:admissionProcedure/elm:noteLiteral"))
    assert "NYH-123" in admission and "2026-03-01" in admission and "Ansök via vår webbplats." in admission
    assert h.value(e1, "dcterms:type") == {"http://data.europa.eu/snb/learning-opportunity/79343569f3"}  # program
    assert h.value(e1, "adms:identifier/skos:notation") == {"YH00123"}
    assert h.value(e1, "elm:providedBy/rov:legalName") == {"Norrsunda Yrkeshögskola", "Norrsunda Higher Vocational School"}
    assert h.value(e1, "elm:providedBy/adms:identifier/skos:notation") == {"556000-0001"}


def test_locations_keep_their_wgs84_coordinates_as_plain_strings(h):
    h.run()
    e1 = OFFER + "e.1"
    latitudes = h.terms(e1, "elm:location/locn:geometry/clv:latitude")
    assert {t.value for t in latitudes} == {"62.3908", "62.6323"}
    assert all(t.datatype.value == "http://www.w3.org/2001/XMLSchema#string" and t.language is None for t in latitudes)
    assert h.value(e1, "elm:location/locn:geometry/clv:longitude") == {"17.3069", "17.9379"}
    assert h.value(e1, "elm:location/elm:geographicName") == {"Campus Sundsvall, Energi"}
    assert h.value(e1, "elm:location/adms:identifier/skos:notation") == {"2281", "2280"}
    assert h.value(e1, "elm:location/elm:address/elm:countryCode") == {"http://publications.europa.eu/resource/authority/country/SWE"}
    assert h.value(e1, "elm:location/elm:address/elm:fullAddress/elm:noteLiteral") == {"Storgatan 1, 85230 Sundsvall", "Härnösand"}


def test_the_education_gives_level_credits_subjects_and_eligibility(h):
    outcome = h.run()
    spec = "elm:learningAchievementSpecification"
    e1, e2 = OFFER + "e.1", OFFER + "e.2"
    assert h.value(e1, f"{spec}/elm:educationLevel") == {"http://data.europa.eu/snb/eqf/5"}  # SeQF 5 = EQF 5
    assert "http://data.europa.eu/snb/isced-f/0713" in h.value(e1, f"{spec}/elm:ISCEDFCode")
    # yh credits are YH points, a credit system of their own: never ECTS, and no ECTS value is made up for them
    assert h.value(e1, f"{spec}/elm:creditPoint/elm:framework") == {YH_POINTS}
    assert h.value(e1, f"{spec}/elm:creditPoint/elm:point") == {"200"}
    assert not any(n.record == "e.1" and n.field == "credits" for n in outcome.notes if n.kind in ("unmapped", "derived"))
    assert h.value(e2, f"{spec}/elm:creditPoint/elm:point") == {"7.5"}  # hp are ECTS
    assert h.value(e2, f"{spec}/elm:creditPoint/elm:framework") == {ECTS}
    assert h.value(e1, f"{spec}/elm:entryRequirement/elm:noteLiteral") == {"Grundläggande behörighet och Matematik 2."}
    assert h.value(e1, "elm:duration") == {"P280D"}
    assert any(n.record == "e.1" and n.field == "subjects/FH_Subject" for n in notes(outcome, "unmapped"))


def test_hints_carry_sun_codes_credits_and_keywords(tmp_path, h):
    harvester = Emil3Harvester(_context(h, tmp_path))
    for ref in harvester.gather():
        if ref.key == "e.1":
            harvester.map(ref, harvester.fetch(ref))
    hints = {(x.kind, x.value, x.scheme) for x in harvester.context.hints[OFFER + "e.1"]}
    assert {("subject-code", "522a", "sun-2020"), ("subject-code", "522", "isced-97"), ("credits", "200", "yh"),
            ("subject-label", "kraftvärme", "sv")} <= hints


def test_cancelled_flexible_start_student_aid_school_type_and_vocational_are_data_the_site_can_filter_on(h):
    h.run()
    e1, e2 = OFFER + "e.1", OFFER + "e.2"
    assert h.value(e2, "elm:status") == {"cancelled"}
    assert time_status(None, None, [], False, h.value(e2, "elm:status"), datetime.now(UTC)) == "cancelled"

    def note(offer: str, name: str) -> set[str]:
        graphs = [h.store.source_graph("susa"), h.store.quarantine_graph("susa")]
        rows = h.store.query(f"SELECT ?v WHERE {{ <{offer}> elm:additionalNote ?n . ?n dcterms:subject <{TOPIC}{name}> ; elm:noteLiteral ?v }}",
                             default_graphs=graphs)
        return {r["v"].value for r in rows}

    assert note(e1, "flexible-start")
    assert "Berättigar till studiestöd från CSN (CSN-kod: A 1)" in note(e1, "student-aid")
    assert "Skolform: Yrkeshögskola (YH)" in note(e1, "school-type")
    assert "Form of education: Higher education (HS)" in note(e2, "school-type")
    assert "Yrkesinriktad utbildning" in note(e1, "vocational")
    assert not note(e2, "student-aid") and not note(e2, "vocational")
    assert "Studier dagtid" in note(e1, "daytime") and "At your own pace" in note(e1, "self-paced")  # timeOfStudy, individual pace
    assert not note(e1, "evenings") and not note(e2, "self-paced")


def test_the_optional_fields_may_be_absent(h):
    outcome = h.run()
    e2 = OFFER + "e.2"
    assert e2 in h.all_offers()
    assert h.value(e2, "dcterms:title") == {"Linjär algebra"}  # the education's title
    assert h.value(e2, "elm:mode") == {"http://data.europa.eu/snb/learning-assessment/9191af2ed9"}
    assert any(n.record == "e.2" and n.field == "distance" for n in notes(outcome, "guessed"))
    assert h.value(e2, "elm:providedBy/elm:location/elm:address/elm:countryCode")  # no country given: the option country (SE)


# -- incremental runs ----------------------------------------------------------------------------


def test_a_second_run_asks_only_for_changes_and_removed_events_are_withdrawn(h):
    first = h.run()
    assert first.run.outcome == "partial"
    h.serve_delta()
    second = h.run()
    assert second.run.outcome in ("partial", "published"), second.run.message
    asked = [q.get("updatedSince") for q in h.queries("educationEvents")][-1]
    assert asked and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", asked[0])
    assert all("updatedSince" in q for q in h.queries("educationInfos")[-1:] + h.queries("educationProviders")[-1:])
    assert h.all_offers() == {OFFER + "e.1", OFFER + "e.5", OFFER + "e.7"}  # e.1 was not in the delta and stays
    assert h.value(OFFER + "e.5", "dcterms:title") == {"Sommarkurs i svenska, ny upplaga"}
    # Only what the delta changed is mapped again; e.1 is as it was and comes from the store.
    assert second.records_unchanged >= 1 and second.records_read < first.records_read


def test_a_failed_run_keeps_the_offers_and_the_next_run_asks_from_the_last_complete_read(h):
    h.run()
    before = h.all_offers()
    h.serve_delta()
    h.server.fault(f"{h.prefix}{API}/educationEvents", "status", status=503)
    failed = h.run()
    assert failed.run.outcome == "failed" and h.all_offers() == before
    h.serve_delta()
    h.run()
    since = [q["updatedSince"][0] for q in h.queries("educationInfos")[-2:]]
    assert since[0] == since[1]  # the failed run did not move the mirror on
    assert OFFER + "e.7" in h.all_offers()


def test_incremental_false_and_a_changed_scope_read_everything(h):
    h.run()
    h.run(incremental=False)
    assert "updatedSince" not in h.queries("educationEvents")[-1]
    h.serve_delta()  # served at the bare path: answers any query
    assert h.run(school_types=["YH", "HS"], incremental=True).run.outcome != "failed"
    last = h.queries("educationEvents")[-1]
    assert "updatedSince" not in last and last["schoolType"] == ["YH", "HS"]  # read with another scope: everything again
    h.run()
    assert "updatedSince" in h.queries("educationEvents")[-1]


def test_a_broken_page_fails_the_run_and_changes_nothing(h):
    h.server.add(f"{h.prefix}{API}/educationEvents?page=1&size=2", "{not json", "application/json")
    outcome = h.run()
    assert outcome.run.outcome == "failed" and not h.all_offers()
    assert not (h.config.data_dir / "http-cache" / "susa" / "emil3-mirror.json.gz").exists()


def test_the_mirror_is_the_raw_json(h):
    h.run()
    mirror = json.loads(gzip.decompress((h.config.data_dir / "http-cache" / "susa" / "emil3-mirror.json.gz").read_bytes()))
    assert set(mirror["resources"]["educationEvents"]) == {"e.1", "e.2", "e.3", "e.4", "e.5", "e.6"}
    assert mirror["scope"]["school_types"] == []


# -- every field mapped or noted ---------------------------------------------------------------------


def _context(h: Harness, tmp_path: Path) -> HarvestContext:
    return HarvestContext(h.source, BASE, load_vocabulary(), pipeline.source_client(h.config, h.source))


def _leaves(value, path: str = ""):
    """(path, value) of every scalar in a JSON value; paths name object keys only (arrays are transparent)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}/{key}" if path else key)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner, path)
    elif value is not None:
        yield path, value


def test_every_field_of_the_fixtures_is_mapped_or_noted(h, tmp_path):
    harvester = Emil3Harvester(_context(h, tmp_path))
    triples = []
    for ref in harvester.gather():
        try:
            triples += harvester.map(ref, harvester.fetch(ref)).triples
        except RecordFailed:
            pass
    context = harvester.context
    values = {t.object.value for t in triples}
    hinted = {x.value for found in context.hints.values() for x in found}
    noted = [n.field for n in context.notes]
    # Fields read as codes, structure or references: present when the offer has what they map to.
    structural = {"lang", "type", "id", "identifier", "education", "providers", "examiningBodies", "isCancelled", "isApprenticeship",
                  "continuous", "individual", "resultIsDegree", "isVocational", "percentage", "unit", "length", "code", "system",
                  "totalAmount", "currency", "lastEdited", "expires", "country", "number", "function", "rel", "href", "status"}

    def covered(path: str, value) -> bool:
        text = str(value)
        last = path.split("/")[-1]
        in_values = any(text in v for v in values) or any(v.lower().endswith("/" + text.lower()) for v in values)
        return in_values or text in hinted or last in structural or any(part in noted_field.split("/") for part in path.split("/") for noted_field in noted)

    missing = []
    for name in ("educationProviders.json", "educationInfos.json", *(f"educationEvents.page-{n}.json" for n in range(3))):
        body = json.loads(fixture(name))
        for item in body[name.split(".")[0]]:
            for path, value in _leaves(item.get("content")):
                if not covered(path, value):
                    missing.append(f"{name}: {path} = {value!r}")
    assert not missing, missing


# -- the parts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("62.3908, 17.3069", ("62.3908", "17.3069")),
    ("62,3908 17,3069", ("62.3908", "17.3069")),
    ("N 62.3908 E 17.3069", ("62.3908", "17.3069")),
    ("17.3069;62.3908", ("17.3069", "62.3908")),  # both could be latitudes: the order given is kept
    ("117.3, 62.39", ("62.39", "117.3")),  # the first cannot be a latitude: swapped
    ("6919350 617000", None),  # SWEREF 99 metres, not degrees
    ("62.39", None),
])
def test_wgs84_values(text, expected):
    assert wgs84(text) == expected


def test_texts_read_three_letter_languages_and_html():
    found = texts({"strings": [{"lang": "swe", "value": "<p>Hej</p><p>då</p>"}, {"lang": "eng", "value": "Hi"}, {"value": "x"}]})
    assert found == {"sv": "Hej\ndå", "en": "Hi"}


def test_the_mapping_table_is_data():
    assert Emil3Harvester.kind == "emil3"
    assert all(len(row) == 3 for row in Emil3Harvester.mapping)
