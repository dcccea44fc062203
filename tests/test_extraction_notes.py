"""What cutting a source's documents into offers leaves out is told to the provider (``catalogue report``), whether the
document is held in memory or read from disk a slice at a time; nothing is left out silently."""

from __future__ import annotations

import json

import pytest

from catalogue.harvest.extraction_notes import LEFT_OUT_FIELD

from .sitebuild import run

DOCUMENT = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<https://leftout.example/offer/1> a elm:LearningOpportunity ;
    dcterms:title "Welding basics"@en ;
    elm:providedBy <https://leftout.example/org/school> .
<https://leftout.example/org/school> a elm:Organisation ; skos:prefLabel "The school"@en .

[] a elm:LearningOpportunity ; dcterms:title "An offer without an IRI"@en .

# Not linked from any offer: an organisation, an untyped page, and a vocabulary concept the vocabulary describes.
<https://leftout.example/org/partner> a elm:Organisation ; skos:prefLabel "A partner"@en ;
    elm:homepage <https://leftout.example/partner> .
[] foaf:name "Nobody links here" ; dcterms:description "A node of its own"@en .
<http://data.europa.eu/snb/learning-assessment/920fbb3cbe> skos:prefLabel "Written exam"@en .
"""


def _notes(folder, options: str) -> list[dict]:
    folder.mkdir()
    document = folder / "offers.ttl"
    document.write_text(DOCUMENT, encoding="utf-8")
    config = folder / "catalogue.toml"
    config.write_text('[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = 1\n'
                      f'[[sources]]\nid = "left"\nname = "Left out"\nharvester = "rdf"\nurl = "{document.as_posix()}"\n{options}',
                      encoding="utf-8")
    run(config, "harvest", "--no-publish")
    return json.loads(run(config, "report", "left", "--format", "json"))["mapping_notes"]


@pytest.mark.parametrize("options", ["", "in_memory_megabytes = 0\n"], ids=["in memory", "on disk"])
def test_statements_no_offer_links_to_are_named_in_a_note(tmp_path, options):
    notes = _notes(tmp_path / "source", options)
    left_out = [note for note in notes if note["field"] == LEFT_OUT_FIELD]
    assert len(left_out) == 1, notes
    note = left_out[0]
    assert note["kind"] == "dropped" and note["record"].endswith("offers.ttl")
    # The partner (three statements) and the untyped node (two); not the concept, which the vocabulary describes.
    assert note["value"] == "5 statements about 2 resources (1 Organisation, 1 untyped)"
    assert "<https://leftout.example/org/partner>" in note["detail"] and "Written exam" not in json.dumps(notes)
    blank = [note for note in notes if note["field"] == "offer IRI"]
    assert [(n["kind"], n["value"]) for n in blank] == [("guessed", "1 offers without an IRI")]


def test_a_document_whose_every_statement_reaches_an_offer_has_no_such_note(tmp_path):
    folder = tmp_path / "whole"
    folder.mkdir()
    document = folder / "offers.ttl"
    document.write_text(DOCUMENT.split("# Not linked")[0], encoding="utf-8")
    config = folder / "catalogue.toml"
    config.write_text('[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = 1\n'
                      f'[[sources]]\nid = "left"\nname = "Left out"\nharvester = "rdf"\nurl = "{document.as_posix()}"\n'
                      'in_memory_megabytes = 0\n', encoding="utf-8")
    run(config, "harvest", "--no-publish")
    notes = json.loads(run(config, "report", "left", "--format", "json"))["mapping_notes"]
    assert [n for n in notes if n["field"] == LEFT_OUT_FIELD] == [] and any(n["field"] == "offer IRI" for n in notes)
