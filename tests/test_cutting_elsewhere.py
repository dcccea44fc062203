"""A document is read again, derived and cut into offers in a validation worker (``catalogue.harvest.cutting``) when
the harvest validates in worker processes: what the catalogue publishes and tells the provider must be exactly what
cutting it in the harvest's own process gives."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from catalogue.harvest import cutting, pipeline
from catalogue.validation.validator import Validator

from .sitebuild import ROOT, bidi_offer_files, hostile_offer_file, run
from .test_extraction_notes import DOCUMENT as LEFT_OUT
from .test_stored_document import _graphs

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402

# Values the catalogue derives (a field of education from the title, the language of instruction from the texts, the
# provider's country from its postcode), an offer that points to another, and a text with a base direction.
DERIVABLE = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<https://derive.example/offer/1> a elm:LearningOpportunity ;
    dcterms:title "Svetsning för nybörjare"@sv ;
    dcterms:description "En kurs i svetsning för den som aldrig har svetsat, med övningar i verkstaden varje vecka."@sv ;
    elm:learningAchievementSpecification <https://derive.example/spec/1> ;
    elm:providedBy <https://derive.example/org/1> ;
    elm:hasPart <https://derive.example/offer/2> .
<https://derive.example/spec/1> a elm:LearningAchievementSpecification ;
    dcterms:title "Svetsning för nybörjare"@sv ;
    dcterms:description "Grundläggande svetsning: säkerhet, material och metoder, med övningar i verkstaden."@sv .
<https://derive.example/org/1> a elm:Organisation ; skos:prefLabel "Verkstadsskolan"@sv ;
    elm:location [ a dcterms:Location ; elm:address [ a elm:Address ; elm:postCode "903 25" ; elm:fullAddress "Storgatan 1, 903 25 Umeå"@sv ] ] .
<https://derive.example/offer/2> a elm:LearningOpportunity ; dcterms:title "Welding, part two"@en , "اللحام"@ar--rtl ;
    elm:providedBy <https://derive.example/org/1> .
"""


def _config(folder, documents, workers: int) -> object:
    folder.mkdir()
    text = f'[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = {workers}\n'
    for number, path in enumerate(documents):
        text += (f'[[sources]]\nid = "s{number}"\nname = "Source {number}"\nharvester = "rdf"\nurl = "{path.as_posix()}"\n'
                 "max_shrink = 0.99\n")
    path = folder / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _notes(config_path) -> list[tuple]:
    with sqlite3.connect(config_path.parent / "data" / "state.sqlite") as db:
        return sorted(db.execute("SELECT record, field, kind, value, detail FROM mapping_notes"))


def _documents(folder) -> list:
    generated = folder / "generated.ttl"
    generated.write_bytes(generate_document(240))
    derivable, left_out = folder / "derivable.ttl", folder / "left-out.ttl"
    derivable.write_text(DERIVABLE, encoding="utf-8")
    left_out.write_text(LEFT_OUT, encoding="utf-8")
    return [*sorted((ROOT / "examples" / "elm").glob("*.ttl")), generated, derivable, left_out, hostile_offer_file(folder),
            *bidi_offer_files(folder)]


@pytest.fixture()
def spied(monkeypatch) -> dict[str, int]:
    """How many batches were cut here and how many in a worker, the real functions doing the work."""
    counts = {"here": 0, "worker": 0}
    here, elsewhere = pipeline.cut_batch, Validator.in_worker

    def cut_here(batch):
        counts["here"] += 1
        return here(batch)

    def in_worker(self, function, argument):
        if function is cutting.cut_batch_in_worker:
            counts["worker"] += 1
        return elsewhere(self, function, argument)

    monkeypatch.setattr(pipeline, "cut_batch", cut_here)
    monkeypatch.setattr(Validator, "in_worker", in_worker)
    return counts


def test_a_document_cut_in_a_worker_gives_what_cutting_it_here_gives(tmp_path, monkeypatch, spied):
    documents = _documents(tmp_path)
    here = _config(tmp_path / "here", documents, workers=1)
    run(here, "harvest", "--no-publish")
    assert spied == {"here": len(documents), "worker": 0}

    monkeypatch.setattr(cutting, "ELSEWHERE_FROM_BYTES", 0)  # every document, however small
    elsewhere = _config(tmp_path / "elsewhere", documents, workers=2)
    run(elsewhere, "harvest", "--no-publish")
    assert spied == {"here": len(documents), "worker": len(documents)}

    expected, found = _graphs(here), _graphs(elsewhere)
    assert {g.rsplit("/", 1)[-1] for g in expected if "/graph/source/" in g or "/graph/quarantine/" in g} == {
        f"s{n}" for n in range(len(documents))}
    assert found == expected
    notes = _notes(here)
    kinds = {(field, kind) for _record, field, kind, _value, _detail in notes}
    # What the comparison covers: values derived, statements left out, offers given an IRI, texts without direction.
    assert {kind for _field, kind in kinds} >= {"derived", "dropped", "guessed"}, kinds
    assert ("statements no offer links to", "dropped") in kinds and ("offer IRI", "guessed") in kinds
    assert any(field.startswith("text direction") for field, _kind in kinds)
    assert _notes(elsewhere) == notes


def test_a_small_document_is_cut_where_it_was_read(tmp_path, spied):
    documents = _documents(tmp_path)[:2]
    assert all(path.stat().st_size < cutting.ELSEWHERE_FROM_BYTES for path in documents)
    run(_config(tmp_path / "small", documents, workers=2), "harvest", "--no-publish")
    assert spied == {"here": len(documents), "worker": 0}
