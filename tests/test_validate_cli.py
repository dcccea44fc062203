"""``catalogue validate``: the provider's self-check, its exit statuses, and what it says about bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from .conftest import EXAMPLES

MINIMAL = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rov: <http://www.w3.org/ns/regorg#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://provider.example/> .
ex:offer a elm:LearningOpportunity ; dcterms:title {title} ;
    foaf:homepage ex:page ; elm:providedBy ex:org ; elm:learningAchievementSpecification ex:spec ;
    elm:defaultLanguage <http://publications.europa.eu/resource/authority/language/SWE> .
ex:page a elm:WebResource ; elm:contentUrl "https://provider.example/course"^^xsd:anyURI .
ex:spec a elm:LearningAchievementSpecification ; dcterms:title "Kurs"@sv ;
    elm:ISCEDFCode <http://data.europa.eu/snb/isced-f/0613> ;
    dcterms:language <http://publications.europa.eu/resource/authority/language/SWE> ;
    elm:learningOutcome ex:outcome .
ex:outcome a elm:LearningOutcome ; dcterms:title "Kan programmera."@sv .
ex:org a elm:Organisation ; rov:legalName "Anordnaren AB"@sv ; elm:location ex:loc .
ex:loc a dcterms:Location ; elm:address ex:addr .
ex:addr a elm:Address ; elm:countryCode <http://publications.europa.eu/resource/authority/country/SWE> .
"""


def minimal(title: str = '"Programmering"@sv') -> str:
    return MINIMAL.replace("{title}", title)


def write(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def test_example_data_is_publishable_and_reports_every_offer(cli, example_files):
    result = cli("validate", "--format", "json", *map(str, example_files))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["offers"]) >= 15
    for offer in data["offers"]:
        assert set(offer) >= {"offer", "conforms", "microcredential", "missing", "violations", "warnings"}
        assert offer["conforms"] is True
        for warning in offer["warnings"]:
            assert set(warning) >= {"path", "value", "message"}
    incomplete = [o for o in data["offers"] if not o["microcredential"]]
    assert len(incomplete) >= 4
    assert {tuple(o["missing"]) for o in incomplete} >= {("workload",), ("assessment-type",), ("level",), ("awarding-body",), ("quality-assurance",)}


def test_text_report_names_missing_elements_in_swedish(cli):
    result = cli("validate", "--lang", "sv", str(EXAMPLES / "norrsunda-universitet.ttl"))
    assert result.exit_code == 0
    assert "inte en komplett mikromerit" in result.output
    assert "Typ av bedömning" in result.output


def test_a_violation_exits_1_and_says_what_to_fix(cli, workdir):
    path = write(workdir, "bad.ttl", minimal('"Programmering"'))  # no language tag
    result = cli("validate", "--format", "json", path)
    assert result.exit_code == 1
    offer = json.loads(result.output)["offers"][0]
    assert offer["conforms"] is False
    violation = next(v for v in offer["violations"] if v["path"] == "dcterms:title")
    assert violation["value"] == '"Programmering"'
    assert "language tag" in violation["message"]


def test_minimal_offer_is_publishable_but_not_a_micro_credential(cli, workdir):
    result = cli("validate", "--format", "json", write(workdir, "ok.ttl", minimal()))
    assert result.exit_code == 0
    offer = json.loads(result.output)["offers"][0]
    assert offer["conforms"] and not offer["microcredential"]
    assert "awarding-body" in offer["missing"] and "title" not in offer["missing"]


def test_unparsable_turtle_exits_2_naming_file_and_line(cli, workdir):
    broken = minimal().replace('"Kurs"@sv ;', '"Kurs"@sv ;;; <<<')
    path = write(workdir, "broken.ttl", broken)
    result = cli("validate", path)
    assert result.exit_code == 2
    assert "broken.ttl" in result.output and "line 11" in result.output
    assert "Traceback" not in result.output


def test_wrong_encoding_is_reported_with_its_place(cli, workdir):
    latin1 = minimal('"Sjukvård i hemmet"@sv').encode("latin-1")
    result = cli("validate", write(workdir, "latin1.ttl", latin1))
    assert result.exit_code == 2
    assert "not valid UTF-8" in result.output and "line 7" in result.output


def test_encoding_declared_by_a_byte_order_mark_is_honoured(cli, workdir):
    utf16 = "\ufeff".encode("utf-16-le") + minimal('"Sjukvård i hemmet"@sv').encode("utf-16-le")
    result = cli("validate", "--format", "json", write(workdir, "utf16.ttl", utf16))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["offers"][0]["title"] == "Sjukvård i hemmet"


def test_rdf_xml_in_latin1_is_read_with_its_declared_encoding(cli, workdir):
    store = ox.Store()
    store.load(minimal('"Sjukvård i hemmet"@sv').encode(), format=ox.RdfFormat.TURTLE)
    xml = ox.serialize((q.triple for q in store), format=ox.RdfFormat.RDF_XML).decode("utf-8")
    xml = xml.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>')
    result = cli("validate", "--format", "json", write(workdir, "offer.rdf", xml.encode("latin-1")))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["offers"][0]["title"] == "Sjukvård i hemmet"


@pytest.mark.parametrize("fmt, suffix", [(ox.RdfFormat.JSON_LD, "jsonld"), (ox.RdfFormat.N_TRIPLES, "nt"), (ox.RdfFormat.RDF_XML, "rdf")])
def test_other_rdf_formats_give_the_same_report(cli, workdir, fmt, suffix):
    store = ox.Store()
    store.load(path=str(EXAMPLES / "hochschule-rheinau.ttl"), format=ox.RdfFormat.TURTLE)
    converted = write(workdir, f"rheinau.{suffix}", ox.serialize((q.triple for q in store), format=fmt))
    original = json.loads(cli("validate", "--format", "json", str(EXAMPLES / "hochschule-rheinau.ttl")).output)
    result = cli("validate", "--format", "json", converted)
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert sorted((o["offer"], o["missing"]) for o in again["offers"]) == sorted((o["offer"], o["missing"]) for o in original["offers"])


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.ttl", "", "empty"),
        ("blank.ttl", "   \n\n", "empty"),
        ("notes.txt", "These are my courses: Python, SQL.", "cannot tell which RDF format"),
        ("remote.jsonld", '{"@context": "https://example.org/context.jsonld", "@id": "https://x.example/a", "title": "x"}', "remote @context"),
        ("bad.jsonld", '{"@id": "https://x.example/a", ', "not valid JSON-LD"),
        ("bad.rdf", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description", "not valid RDF/XML"),
    ],
)
def test_unreadable_inputs_exit_2_with_a_clear_message(cli, workdir, name, content, expected):
    result = cli("validate", write(workdir, name, content))
    assert result.exit_code == 2
    assert name in result.output and expected in result.output
    assert "Traceback" not in result.output


def test_missing_file_exits_2(cli, workdir):
    result = cli("validate", str(workdir / "nowhere.ttl"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_file_without_offers_exits_1_and_explains(cli, workdir):
    text = "@prefix schema: <https://schema.org/> .\n<https://x.example/c> a schema:Course ; schema:name \"Python\" .\n"
    result = cli("validate", write(workdir, "course.ttl", text))
    assert result.exit_code == 1
    assert "no offer" in result.output and "schemaorg harvester" in result.output


def test_one_unreadable_input_does_not_hide_the_others(cli, workdir):
    good = write(workdir, "good.ttl", minimal())
    bad = write(workdir, "bad.ttl", "@prefix broken")
    result = cli("validate", "--format", "json", good, bad)
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert len(data["offers"]) == 1 and data["errors"][0]["source"].endswith("bad.ttl")


def test_hostile_strings_are_data_not_markup(cli, workdir):
    hostile = '"<script>alert(1)</script> \\u202Eevil \\u0000 ]]> {{7*7}} \' OR 1=1 --"@sv'
    result = cli("validate", "--format", "json", write(workdir, "hostile.ttl", minimal(hostile)))
    assert result.exit_code == 0, result.output
    title = json.loads(result.output)["offers"][0]["title"]
    assert "<script>alert(1)</script>" in title and "\u202e" in title and "\x00" in title
    text = cli("validate", str(workdir / "hostile.ttl"))
    assert text.exit_code == 0


def test_elm_33_namespace_is_read_as_elm_32_with_a_note(cli, workdir):
    newer = minimal().replace("http://data.europa.eu/snb/model/elm/", "http://data.europa.eu/snb/model/ontology/")
    result = cli("validate", "--format", "json", write(workdir, "elm33.ttl", newer))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["offers"][0]["conforms"]
    assert any("ELM 3.3" in note for note in data["notes"])


def test_a_url_is_fetched_from_a_real_server(cli, file_server):
    url, folder = file_server
    (folder / "offers.ttl").write_text(minimal(), encoding="utf-8")
    result = cli("validate", "--format", "json", url + "offers.ttl")
    assert result.exit_code == 0, result.output
    missing = cli("validate", url + "nothing.ttl")
    assert missing.exit_code == 2 and "404" in missing.output


def test_second_run_comes_from_the_cache_with_the_same_report(cli, example_files):
    first = json.loads(cli("validate", "--format", "json", *map(str, example_files)).output)
    second = json.loads(cli("validate", "--format", "json", *map(str, example_files)).output)
    assert second["summary"]["from_cache"] == len(second["offers"])
    assert first["offers"] == second["offers"]


@pytest.mark.parametrize(
    "feed, offers",
    [("xcri-cap/shannon-college.xml", 7), ("elm-xml/kaamos-loq.xml", 6), ("spreadsheet/norrkust-kompetens.csv", 6),
     ("schemaorg/alvdalen/kurser/digitalt-berattande.html", 1)],
)
def test_validate_reads_every_format_through_its_harvester(cli, feed, offers):
    path = EXAMPLES.parent / "feeds" / feed
    result = cli("validate", "--format", "json", str(path))
    report = json.loads(result.output)
    assert report["summary"]["offers"] == offers, report["errors"]
    assert all(o["level"] in ("quarantined", "listed", "europass-ready", "complete") for o in report["offers"])
    # The mapping notes a harvest would record are part of the check.
    assert report["notes"], report


def test_validate_an_api_source_by_its_kind(cli):
    result = cli("validate", "--kind", "ooapi", "--format", "json", str(EXAMPLES.parent / "feeds" / "ooapi" / "hogeschool-delta"))
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["summary"]["offers"] == 8


def test_a_document_kind_that_needs_an_address_says_so(cli, workdir):
    (workdir / "x.json").write_text("{}", encoding="utf-8")
    result = cli("validate", "--kind", "ooapi", "--format", "json", str(workdir / "x.json"))
    assert result.exit_code == 2
