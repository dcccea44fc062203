"""The ``ooapi`` harvester against a real HTTP server on 127.0.0.1 and the bundled example, through the real pipeline.

Every test drives ``harvest_source`` with a real in-memory Oxigraph store, real
harvest state and real SHACL validation, and asserts on what is published,
quarantined, kept from the previous run, and noted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from catalogue.config import Config, SourceConfig
from catalogue.errors import InputError
from catalogue.harvest.pipeline import harvest_source
from catalogue.harvest.registry import load_harvester
from catalogue.harvest.state import HarvestState
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.validator import Validator
from harvesters.ooapi import OoapiHarvester, page_items, parse_json, segment

from .feedserver import FeedServer

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "examples" / "feeds" / "ooapi" / "hogeschool-delta"
BASE = "http://127.0.0.1:8000/"
OFFER = BASE + "offer/delta/"
QA = {"type": "Institutional Quality Assurance", "agency": "NVAO", "agency_country": "NL", "title": "Instellingstoets kwaliteitszorg"}
EQF = "http://data.europa.eu/snb/eqf/"
LANG = "http://publications.europa.eu/resource/authority/language/"
MODE = "http://data.europa.eu/snb/learning-assessment/"


class Harness:
    """One source, one store, one state: run the pipeline again and again, as the scheduler would."""

    def __init__(self, tmp_path: Path, validator: Validator, url: str, **options):
        self.store = OxigraphStore.open(None, BASE)
        self.state = HarvestState(None)
        self.validator = validator
        self.source = SourceConfig("delta", "Hogeschool Delta", "ooapi", (url,), {"timeout": 2, "retries": 0, "page_size": 2, **options})
        self.config = Config(base=BASE, data_dir=tmp_path / "data", sources=(self.source,))
        self.clock = datetime(2026, 9, 1, tzinfo=timezone.utc)

    def run(self):
        self.clock += timedelta(minutes=1)
        return harvest_source(self.config, self.source, self.store, self.state, self.validator, now=self.clock)

    def rows(self, sparql: str, graph: str | None = None) -> list[tuple]:
        graphs = [graph or self.store.source_graph("delta")]
        return [tuple(term.value if term is not None else None for term in row) for row in self.store.query(sparql, default_graphs=graphs)]

    def offers(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT ?o WHERE { ?o a elm:LearningOpportunity }")}

    def quarantined(self) -> set[str]:
        return {r[0] for r in self.rows("SELECT ?o WHERE { ?o a elm:LearningOpportunity }", self.store.quarantine_graph("delta"))}

    def value(self, offer: str, path: str) -> set[str]:
        return {r[0] for r in self.rows(f"SELECT ?v WHERE {{ <{offer}> {path} ?v }}")}

    def texts(self, offer: str, path: str) -> dict[str, str]:
        rows = self.store.query(f"SELECT ?v WHERE {{ <{offer}> {path} ?v }}", default_graphs=[self.store.source_graph("delta")])
        return {row["v"].language: row["v"].value for row in rows}


def notes(outcome, kind: str | None = None) -> list:
    return [n for n in outcome.notes if kind is None or n.kind == kind]


# -- the bundled example ---------------------------------------------------------------


def test_bundled_example_publishes_its_offers_and_quarantines_the_faulty_one(tmp_path, validator):
    h = Harness(tmp_path, validator, str(FEED), quality_assurance=QA)
    outcome = h.run()
    assert outcome.run.outcome == "published", outcome.run.message
    assert len(h.offers() | h.quarantined()) == 8  # the shapes decide which are listed and which set aside
    # the offering without offeringId is one error, naming its course and place
    assert [(e.record, e.code, e.position) for e in outcome.errors] == [
        ("3f6b2a10-9c4d-4e8f-a1b2-5d7e9c0b1a06", "missing-identifier", "offerings page 1, item 2")]
    # the course without offerings gives one offer of its own, with a note
    assert OFFER + "3f6b2a10-9c4d-4e8f-a1b2-5d7e9c0b1a05" in h.offers()
    assert any(n.field == "offerings" and n.record == "3f6b2a10-9c4d-4e8f-a1b2-5d7e9c0b1a05" for n in notes(outcome, "guessed"))
    complete = h.rows("SELECT ?r WHERE { ?r mcc:microCredential true }", h.store.records_graph("delta"))
    assert len(complete) == 7
    # dropped fields are noted once, with a reason
    dropped = {(n.record, n.field) for n in notes(outcome, "dropped")}
    assert ("3f6b2a10-9c4d-4e8f-a1b2-5d7e9c0b1a01", "course/resources") in dropped
    assert ("b1c2d3e4-0001-4a00-8000-000000000101", "offering/maxNumberStudents") in dropped
    assert ("7a4c1e2b-5d3f-4a9e-8b71-2c6d0e9f3a10", "program/qualificationRequirements") in dropped
    assert all(n.detail for n in notes(outcome, "dropped"))
    # the awarding body is an assumption, and says so
    assert any(n.field == "organization" and "assumed to award" in n.detail for n in notes(outcome, "guessed"))

    again = h.run()
    assert again.run.outcome == "unchanged" and len(h.offers() | h.quarantined()) == 8


def test_bundled_example_field_mapping(tmp_path, validator):
    h = Harness(tmp_path, validator, str(FEED))
    outcome = h.run()
    spec = "elm:learningAchievementSpecification"
    autumn, spring = OFFER + "b1c2d3e4-0001-4a00-8000-000000000101", OFFER + "b1c2d3e4-0001-4a00-8000-000000000102"
    assert h.texts(autumn, "dcterms:title") == {"nl": "Circulaire economie in de praktijk", "en": "Circular economy in practice"}
    assert h.value(autumn, f"{spec}/elm:creditPoint/elm:point") == {"5"}
    assert h.value(autumn, f"{spec}/elm:educationLevel") == {EQF + "6"}
    assert h.value(autumn, f"{spec}/elm:ISCEDFCode") == {"http://data.europa.eu/snb/isced-f/0712"}
    assert h.value(autumn, "elm:defaultLanguage") == {LANG + "NLD"} and h.value(spring, "elm:defaultLanguage") == {LANG + "ENG"}
    assert h.value(autumn, "elm:mode") == {MODE + "e92d221e4d"} and h.value(spring, "elm:mode") == {MODE + "920fbb3cbe"}
    assert h.value(autumn, "dcterms:temporal/elm:startDate") == {"2026-09-07T00:00:00Z"}
    assert h.value(autumn, "dcterms:temporal/elm:endDate") == {"2026-11-13T23:59:59Z"}
    assert h.value(autumn, "elm:applicationDeadline") == {"2026-08-24T23:59:59Z"}
    assert h.value(autumn, "elm:priceDetail/elm:amount/rdf:value") == {"750"}
    assert h.value(autumn, "elm:priceDetail/skos:prefLabel") == {"total costs", "STAP eligible"}
    assert h.value(autumn, "elm:priceDetail/elm:amount/elm:unit") == {"http://publications.europa.eu/resource/authority/currency/EUR"}
    assert h.value(autumn, "elm:providedBy/elm:location/elm:address/elm:countryCode") == {"http://publications.europa.eu/resource/authority/country/NLD"}
    assert h.texts(autumn, "elm:providedBy/rov:legalName") == {"nl": "Hogeschool Delta", "en": "Delta University of Applied Sciences"}
    assert h.value(autumn, "elm:location/elm:address/elm:fullAddress/elm:noteLiteral") == {"Deltaplein 1, 4381 AB, Deltahaven"}
    assert h.value(autumn, f"{spec}/elm:provenBy/dcterms:type") == {
        "http://data.europa.eu/snb/assessment/795dac4096", "http://data.europa.eu/snb/assessment/4f03b91c0e"}  # project work, portfolio
    assert h.texts(autumn, f"{spec}/elm:provenBy/elm:gradingScheme/dcterms:title")["en"] == "Grades 1 to 10"
    assert "Counts towards: Minor Sustainable entrepreneurship" in h.value(autumn, f"{spec}/elm:additionalNote/elm:noteLiteral")
    assert h.value(autumn, f"{spec}/elm:awardingOpportunity/elm:awardingBody") == h.value(autumn, "elm:providedBy")
    # the spring edition's own description is added to the course's
    assert h.texts(spring, "dcterms:description")["en"].endswith("This edition is fully online and taught in English.")
    python = OFFER + "b1c2d3e4-0002-4a00-8000-000000000201"
    assert h.value(python, f"{spec}/elm:educationLevel") == {EQF + "5"}  # associate degree
    assert h.value(python, "elm:priceDetail/elm:amount/elm:unit") == {"http://publications.europa.eu/resource/authority/currency/EUR"}
    assert any(n.record.endswith("0201") and n.field.endswith("currency") for n in notes(outcome, "guessed"))
    assert any("Flexible start between 2026-09-01" in t for t in h.value(python, "elm:scheduleInformation/elm:noteLiteral"))
    water = OFFER + "b1c2d3e4-0004-4a00-8000-000000000401"
    assert h.value(water, f"{spec}/elm:volumeOfLearning") == {"P5DT20H"}  # 140 study-load hours, canonical form
    assert h.value(water, f"{spec}/elm:educationLevel") == {EQF + "7"}
    assert h.value(water, "elm:providedBy") == {BASE + "org/delta/0d5e2f80-3c1a-4b7e-9f21-6a8b4c2d1e07"}  # the academy
    minor = OFFER + "7a4c1e2b-5d3f-4a9e-8b71-2c6d0e9f3a11"
    assert h.value(minor, f"{spec}/elm:creditPoint/elm:point") == {"30"}
    assert h.value(minor, "elm:learningSchedule") == {"http://data.europa.eu/snb/learning-schedule/72a0ab92fa"}  # full time
    assert h.value(minor, "dcterms:type") == {"http://data.europa.eu/snb/learning-opportunity/0f7dac46ca"}  # programme module
    alone = OFFER + "3f6b2a10-9c4d-4e8f-a1b2-5d7e9c0b1a05"
    assert not h.value(alone, "dcterms:temporal") and h.value(alone, "foaf:homepage/elm:contentUrl")


# -- a live API -----------------------------------------------------------------------------

ORG = "org-root"


def lts(nl: str, en: str) -> list[dict]:
    return [{"language": "nl-NL", "value": nl}, {"language": "en-GB", "value": en}]


def course(ident: str, title: str, **extra) -> dict:
    data = {"courseId": ident, "primaryCode": {"codeType": "courseCode", "code": ident.upper()}, "name": lts(f"{title} (nl)", title),
            "description": lts("Beschrijving.", "Description."), "teachingLanguage": "nld", "level": "bachelor", "fieldsOfStudy": "0613",
            "studyLoad": {"studyLoadUnit": "ects", "value": 5}, "modeOfDelivery": ["online"], "assessment": lts("Portfolio", "Portfolio"),
            "learningOutcomes": [lts("Je kunt iets.", "You can do something.")], "link": f"https://www.delta.example/{ident}",
            "organization": ORG}
    data.update(extra)
    return data


def offering(ident: str, **extra) -> dict:
    data = {"offeringId": ident, "offeringType": "course", "primaryCode": {"codeType": "offeringCode", "code": ident},
            "startDate": "2026-10-01", "endDate": "2026-12-20", "teachingLanguage": "eng", "modeOfDelivery": ["situated"],
            "resultExpected": True, "priceInformation": [{"costType": "total costs", "amount": "500.00", "currency": "EUR"}]}
    data.update(extra)
    return data


def envelope(items: list, number: int = 1, more: bool = False) -> dict:
    return {"pageSize": 2, "pageNumber": number, "hasPreviousPage": number > 1, "hasNextPage": more, "items": items}


def api(**changes) -> dict[str, object]:
    """The API as path (with query) -> JSON body: two pages of courses, offerings, one program."""
    routes: dict[str, object] = {
        "organizations?pageNumber=1&pageSize=2": envelope([{
            "organizationId": ORG, "organizationType": "root", "primaryCode": {"codeType": "brin", "code": "99XD"},
            "name": lts("Hogeschool Delta", "Delta University of Applied Sciences"), "shortName": "HSD",
            "addresses": [{"addressType": "visit", "city": "Deltahaven", "countryCode": "NL"}], "link": "https://www.delta.example/"}]),
        "programs?pageNumber=1&pageSize=2": envelope([{
            "programId": "prog-1", "programType": "program", "name": lts("Associate degree Data", "Associate degree in data"),
            "description": lts("Twee jaar.", "Two years."), "teachingLanguage": "nld", "levelOfQualification": "4+",
            "studyLoad": {"studyLoadUnit": "ects", "value": 120}, "fieldsOfStudy": "0613", "modeOfStudy": "part-time",
            "learningOutcomes": [lts("Je analyseert data.", "You analyse data.")], "link": "https://www.delta.example/ad-data"}]),
        "programs/prog-1/offerings?pageNumber=1&pageSize=2": envelope([offering("prog-1-2026", offeringType="program")]),
        "courses?pageNumber=1&pageSize=2": envelope([course("course-a", "Course A"), course("course-b", "Course B", studyLoad={"studyLoadUnit": "hour", "value": 56})], 1, True),
        "courses?pageNumber=2&pageSize=2": envelope([course("course-c", "Course C", level="master")], 2, False),
        "courses/course-a/offerings?pageNumber=1&pageSize=2": envelope([offering("a-1"), offering("a-2", modeOfDelivery=["distance-learning"])]),
        "courses/course-b/offerings?pageNumber=1&pageSize=2": envelope([offering("b-1", teachingLanguage="dut", modeOfDelivery=["hybrid", "on campus"])]),
        "courses/course-c/offerings?pageNumber=1&pageSize=2": envelope([]),
    }
    routes.update(changes)
    return routes


def serve(server: FeedServer, routes: dict[str, object]) -> str:
    for path, body in routes.items():
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        server.add("/v5/" + path, data, "application/json")
    return server.url("/v5/")


ALL = {OFFER + k for k in ("a-1", "a-2", "b-1", "course-c", "prog-1-2026")}


def test_http_api_paging_mapping_and_unchanged_second_run(tmp_path, validator):
    with FeedServer() as server:
        h = Harness(tmp_path, validator, serve(server, api()), quality_assurance=QA)
        outcome = h.run()
        assert outcome.run.outcome == "published", outcome.run.message
        assert h.offers() == ALL and not outcome.errors
        assert server.hits("/v5/courses") == 2  # both pages
        assert all(headers.get("Accept") == "application/json" for _, _, headers in server.requests)
        assert h.value(OFFER + "a-2", "elm:mode") == {MODE + "920fbb3cbe"}  # distance-learning -> online
        assert h.value(OFFER + "a-1", "elm:mode") == {MODE + "9191af2ed9"}  # situated -> presential
        assert h.value(OFFER + "b-1", "elm:mode") == {MODE + "e92d221e4d", MODE + "9191af2ed9"}
        assert h.value(OFFER + "b-1", "elm:defaultLanguage") == {LANG + "NLD"}  # ISO 639-2/B "dut"
        assert h.value(OFFER + "a-1", "elm:defaultLanguage") == {LANG + "ENG"}
        assert h.value(OFFER + "b-1", "elm:learningAchievementSpecification/elm:volumeOfLearning") == {"P2DT8H"}  # 56 hours
        assert h.value(OFFER + "course-c", "elm:learningAchievementSpecification/elm:educationLevel") == {EQF + "7"}
        program = OFFER + "prog-1-2026"
        assert h.value(program, "elm:learningAchievementSpecification/elm:educationLevel") == {EQF + "4"}
        assert any(n.field == "levelOfQualification" and n.value == "4+" for n in notes(outcome, "guessed"))
        assert h.value(program, "elm:learningAchievementSpecification/elm:creditPoint/elm:point") == {"120"}
        iris = h.offers()

        again = h.run()
        assert again.run.outcome == "unchanged" and h.offers() == iris
        assert any(headers.get("If-None-Match") for _, path, headers in server.requests[len(server.requests) // 2:])


def test_failed_offerings_call_keeps_that_course_and_publishes_the_rest(tmp_path, validator):
    with FeedServer() as server:
        h = Harness(tmp_path, validator, serve(server, api()))
        assert h.run().run.outcome == "published"
        serve(server, {"courses?pageNumber=1&pageSize=2": envelope([course("course-a", "Course A renamed"), course("course-b", "Course B")], 1, True)})
        server.fault("/v5/courses/course-b/offerings", "status", status=500)
        outcome = h.run()
        assert outcome.run.outcome == "partial" and outcome.run.carried_over == 1
        assert h.offers() == ALL  # b-1 kept from the first run
        assert h.texts(OFFER + "a-1", "dcterms:title")["en"] == "Course A renamed"
        [error] = outcome.errors
        assert (error.record, error.code) == ("course-b", "http-status") and "500" in error.message

        server.fault("/v5/courses/course-b/offerings", "truncate", body=b'{"items": [')
        outcome = h.run()
        assert outcome.errors[0].code == "unreachable" and "truncated" in outcome.errors[0].message
        assert h.offers() == ALL


def test_a_course_page_that_times_out_keeps_the_offers_after_it(tmp_path, validator):
    with FeedServer() as server:
        h = Harness(tmp_path, validator, serve(server, api()), timeout=1)
        assert h.run().run.outcome == "published"
        server.fault("/v5/courses?pageNumber=2&pageSize=2", "hang", seconds=5)
        outcome = h.run()
        assert outcome.run.outcome == "partial", outcome.run.message
        assert h.offers() == ALL
        [error] = outcome.errors
        assert error.stage == "gather" and error.code == "unreachable" and "broke off at page 2" in error.message


def test_unreadable_entry_lists_fail_the_source_and_keep_everything(tmp_path, validator):
    with FeedServer() as server:
        h = Harness(tmp_path, validator, serve(server, api()))
        assert h.run().run.outcome == "published"
        serve(server, {"organizations?pageNumber=1&pageSize=2": b'{"items": [ {"organizationId": "x",, } ]'})
        outcome = h.run()
        assert outcome.run.outcome == "failed"
        assert "not valid JSON" in outcome.run.message and "line 1, column 36" in outcome.run.message
        assert h.offers() == ALL

        serve(server, api())
        server.routes.pop("/v5/courses?pageNumber=1&pageSize=2")
        h.source.options["include_programs"] = False
        outcome = h.run()
        assert outcome.run.outcome == "failed" and "no list of courses" in outcome.run.message
        assert h.offers() == ALL


def test_malformed_and_wrongly_encoded_offerings_fail_only_their_course(tmp_path, validator):
    with FeedServer() as server:
        h = Harness(tmp_path, validator, serve(server, api()))
        assert h.run().run.outcome == "published"
        serve(server, {"courses/course-a/offerings?pageNumber=1&pageSize=2": b'{\n  "items": [\n    {"offeringId": "a-1" "name": []}\n  ]\n}'})
        latin1 = json.dumps(envelope([offering("b-1", description=lts("Cursus over Café-management", "x"))]), ensure_ascii=False).encode("latin-1")
        serve(server, {"courses/course-b/offerings?pageNumber=1&pageSize=2": latin1})  # served as UTF-8 (no charset: JSON is UTF-8)
        outcome = h.run()
        errors = {e.record: e for e in outcome.errors}
        assert errors["course-a"].code == "json-syntax" and errors["course-a"].position == "line 3, column 26"
        assert errors["course-b"].code == "encoding" and "/v5/courses/course-b/offerings" in errors["course-b"].message
        assert h.offers() == ALL

        server.add("/v5/courses/course-b/offerings?pageNumber=1&pageSize=2", latin1 + b" ", "application/json", charset="iso-8859-1")
        outcome = h.run()
        assert "course-b" not in {e.record for e in outcome.errors}
        assert "Cursus over Café-management" in h.texts(OFFER + "b-1", "dcterms:description")["nl"]


def test_records_without_identifier_hostile_strings_and_stable_iris(tmp_path, validator):
    hostile = course("../../etc/passwd x", "Evil\x00\x07 <script>alert(1)</script>", link="javascript:alert(1)",
                     name=[{"language": "en-GB", "value": "Evil\x00\x07 <script>alert(1)</script>" + "x" * 5000},
                           {"language": "en-US", "value": "second English title"}, {"language": "<b>", "value": "bad tag"}])
    nameless = {k: v for k, v in course("ignored", "No id").items() if k != "courseId"}
    routes = api(**{"courses?pageNumber=2&pageSize=2": envelope([course("course-c", "Course C"), nameless, hostile], 2, False)})
    with FeedServer() as server:
        url = serve(server, routes)
        server.add("/v5/courses/..%2F..%2Fetc%2Fpasswd%20x/offerings?pageNumber=1&pageSize=2",
                   json.dumps(envelope([offering("evil offering/1")])), "application/json")
        h = Harness(tmp_path, validator, url)
        outcome = h.run()
        missing = [e for e in outcome.errors if e.code == "missing-identifier"]
        assert len(missing) == 1 and missing[0].position == "courses page 2, item 2"
        evil = [o for o in h.offers() | h.quarantined() if "evil" in o]
        assert len(evil) == 1 and evil[0].startswith(OFFER + "evil-offering-1-")  # slug plus hash, no slash or space
        title = h.rows(f"SELECT ?t WHERE {{ <{evil[0]}> dcterms:title ?t }}", h.store.quarantine_graph("delta")) or h.texts(evil[0], "dcterms:title")
        text = json.dumps(title)
        assert "\x00" not in text and "\x07" not in text and "second English title" not in text
        assert any(n.field == "homepage" and n.value == "javascript:alert(1)" for n in notes(outcome, "dropped"))
        first = h.offers() | h.quarantined()
        h.run()
        assert h.offers() | h.quarantined() == first


def test_identifiers_cannot_escape_the_local_folder(tmp_path, validator):
    folder = tmp_path / "api"
    (folder / "courses").mkdir(parents=True)
    (tmp_path / "offerings.json").write_text(json.dumps(envelope([offering("SECRET-SENTINEL")])))
    (folder / "organizations.json").write_text(json.dumps(api()["organizations?pageNumber=1&pageSize=2"]))
    (folder / "courses.json").write_text(json.dumps(envelope([course("..", "Dots"), course("../..", "Up")])))
    h = Harness(tmp_path, validator, str(folder), include_programs=False)
    outcome = h.run()
    assert outcome.run.outcome == "published", outcome.run.message
    everything = h.rows("SELECT ?s ?p ?o WHERE { ?s ?p ?o }") + h.rows("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", h.store.quarantine_graph("delta"))
    assert "SECRET-SENTINEL" not in json.dumps(everything)
    assert segment("..") == "%2E%2E" and segment("../x") == "..%2Fx"


def test_bearer_token_comes_from_the_environment_and_stays_on_the_host(tmp_path, validator, monkeypatch):
    with FeedServer() as server:
        url = serve(server, api())
        h = Harness(tmp_path, validator, url, token_env="DELTA_OOAPI_TOKEN")
        outcome = h.run()
        assert outcome.run.outcome == "failed" and "DELTA_OOAPI_TOKEN" in outcome.run.message
        monkeypatch.setenv("DELTA_OOAPI_TOKEN", "s3cret")
        assert h.run().run.outcome == "published"
        assert all(headers.get("Authorization") == "Bearer s3cret" for _, _, headers in server.requests)
        other = url.replace("127.0.0.1", "localhost") + "organizations?pageNumber=1&pageSize=2"
        server.routes.pop("/v5/organizations?pageNumber=1&pageSize=2")
        server.fault("/v5/organizations", "redirect", target=other)
        outcome = h.run()
        assert outcome.run.outcome == "failed" and "refusing to send the API token" in outcome.run.message
        assert len(h.offers()) == 5


# -- small parts ------------------------------------------------------------------------------


def test_json_reading_and_paging_envelopes():
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "x") == {"a": 1}
    assert parse_json('{"a": "é"}'.encode("utf-16"), "x") == {"a": "é"}
    with pytest.raises(InputError, match="nested too deeply"):
        parse_json(b"[" * 100_000, "x")
    with pytest.raises(InputError, match="HTML, not JSON"):
        parse_json(b"<html>login</html>", "https://api.example/courses")
    assert page_items([{"a": 1}], "x") == ([{"a": 1}], False)
    assert page_items({"items": [], "pageNumber": 1, "totalPages": 3}, "x") == ([], True)
    with pytest.raises(InputError, match="not an OOAPI list"):
        page_items({"data": []}, "x")


def test_registered_with_a_mapping_table():
    assert load_harvester("ooapi") is OoapiHarvester
    assert OoapiHarvester.kind == "ooapi" and len(OoapiHarvester.mapping) > 15


# -- a programs-only API, as many institutions publish: nothing of it may be lost silently -------------------------------

PROGRAMS_ONLY = ROOT / "tests" / "fixtures" / "feeds" / "ooapi-programs"
AI = OFFER + "ai-2026-s1"


def _programs_only(server: FeedServer, tmp_path, validator):
    for file in PROGRAMS_ONLY.rglob("*.json"):
        server.add("/v5/" + str(file.relative_to(PROGRAMS_ONLY))[:-len(".json")], file.read_bytes(), "application/json")
    h = Harness(tmp_path, validator, server.url("/v5/"))
    return h, h.run()


def _anywhere(h: Harness, offer: str, path: str) -> set[str]:
    """Published or set aside: the shapes decide which; the mapping is what is tested here."""
    graphs = [h.store.source_graph("delta"), h.store.quarantine_graph("delta")]
    return {row["v"].value for row in h.store.query(f"SELECT ?v WHERE {{ <{offer}> {path} ?v }}", default_graphs=graphs)}


def test_an_api_with_programs_and_no_courses_is_a_valid_source(tmp_path, validator):
    with FeedServer() as server:
        h, outcome = _programs_only(server, tmp_path, validator)
        assert outcome.run.outcome != "failed", outcome.run.message
        assert not outcome.errors and server.hits("/v5/courses") == 1  # asked once, 404, not an error
        assert h.offers() | h.quarantined() == {AI}
        assert any(n.field == "courses" for n in notes(outcome, "guessed"))


def test_provider_offering_name_and_guest_enrolment_link(tmp_path, validator):
    with FeedServer() as server:
        h, outcome = _programs_only(server, tmp_path, validator)
        assert _anywhere(h, AI, "elm:providedBy/rov:legalName") == {"Technical University Oost"}
        # the organization names no country: the program's teaching address gives it, as a guess
        assert _anywhere(h, AI, "elm:providedBy/elm:location/elm:address/elm:countryCode") == {
            "http://publications.europa.eu/resource/authority/country/NLD"}
        assert any(n.field == "organization/addresses/countryCode" and n.value == "NL" for n in notes(outcome, "guessed"))
        assert _anywhere(h, AI, "elm:additionalNote/elm:noteLiteral") == {"Edition: semester 1"}
        assert _anywhere(h, AI, "dcterms:title") == {"Toegepaste AI", "Applied AI"}
        assert _anywhere(h, AI, "foaf:homepage/elm:contentUrl") == {"https://www.tu-oost.example/programs/applied-ai/2026"}
        assert _anywhere(h, AI, "elm:supplementaryDocument/elm:contentUrl") == {
            "https://apply.tu-oost.example/guest/ai-2026-s1", "https://www.tu-oost.example/programs/applied-ai"}


def test_every_field_of_a_rich_api_is_mapped_or_noted(tmp_path, validator):
    with FeedServer() as server:
        h, outcome = _programs_only(server, tmp_path, validator)
        graphs = [h.store.source_graph("delta"), h.store.quarantine_graph("delta")]
        values = {row["v"].value for row in h.store.query("SELECT ?v WHERE { ?s ?p ?v }", default_graphs=graphs)}
    noted = [n.field for n in outcome.notes]
    # Fields read as codes of EU lists or by their meaning: present if the offer has the property they map to.
    concepts = {"teachingLanguage": "elm:defaultLanguage", "levelOfQualification": "elm:learningAchievementSpecification/elm:educationLevel",
                "modeOfStudy": "elm:learningSchedule", "modeOfDelivery": "elm:mode", "programType": "dcterms:type", "offeringType": "dcterms:type",
                "studyLoadUnit": "elm:learningAchievementSpecification/elm:creditPoint", "currency": "elm:priceDetail/elm:amount/elm:unit",
                "resultExpected": "elm:learningAchievementSpecification/elm:provenBy", "addressType": "elm:location",
                "countryCode": "elm:location/elm:address/elm:countryCode", "streetNumber": "elm:location/elm:address/elm:fullAddress"}
    # Keys of IRIs, scheme names, and flags that only steer the mapping (which organization is the root, whether a result is graded).
    ids = {"organizationId", "programId", "offeringId", "organization", "codeType", "organizationType", "resultExpected"}

    def found(value) -> bool:
        text = str(value)
        return text in values or any(v.endswith("/" + text) or text in v for v in values if len(text) >= 4)

    def leaves(data, path):
        if isinstance(data, dict):
            for key, value in data.items():
                yield from leaves(value, [*path, key])
        elif isinstance(data, list):
            if data and all(isinstance(d, dict) and set(d) == {"language", "value"} for d in data):
                yield path, [d["value"] for d in data]
            else:
                for item in data:
                    yield from leaves(item, path)
        else:
            yield path, [data]

    missing = []
    for file in PROGRAMS_ONLY.rglob("*.json"):
        for path, found_values in leaves(json.loads(file.read_text())["items"], []):
            name = path[-1]
            covered = all(found(v) for v in found_values) or name in ids
            covered = covered or any(name in field.split("/") for field in noted)
            covered = covered or (name in concepts and _anywhere(h, AI, concepts[name]))
            if not covered:
                missing.append(f"{file.name}: {'/'.join(path)} = {found_values}")
    assert not missing, missing
