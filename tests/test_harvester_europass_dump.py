"""The europass-dump harvester on generated dumps in the Europass QDR shape, served on 127.0.0.1: a DCAT catalogue
of multi-part ZIP archives of many Turtle files, ELM 3.3's namespace in some, drafts, offers filed as qualifications."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import SHARED
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from qdr_dump import write_dump  # noqa: E402


class Dumps(HarvestingCatalogue):
    source_id = "se"
    source_name = "Europass open data, Sweden"
    harvester = "europass-dump"


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Dumps(tmp_path, validator)


def _serve(server: FeedServer, folder: Path, dump) -> str:
    for part in dump.parts:
        server.add(f"/qdr/{part.name}", part.read_bytes(), "application/zip")
    server.add("/qdr/catalogue.ttl", dump.catalogue.read_bytes(), "text/turtle")
    return server.url("/qdr/catalogue.ttl")


def test_a_dcat_catalogue_of_zip_parts_is_read_file_by_file(tmp_path, catalogue):
    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 400, files=8, parts=2, base_url=server.url("/qdr/"))
        outcome = catalogue.harvest(_serve(server, tmp_path, dump))
    assert outcome.run.outcome == "published", outcome.run.message
    # Released learning opportunities and the offers filed as qualifications; drafts left out.
    assert dump.drafts == 20 and outcome.run.seen == dump.released + dump.qualification_offers == 388
    assert outcome.run.published >= 0.9 * outcome.run.seen
    offers = catalogue.offers()
    assert "https://data.provider0.example/offer/19" not in offers  # the 20th is a draft
    assert "https://data.provider0.example/offer/18" in offers
    assert "https://data.provider4.example/offer/160" in offers  # file 3 (offers 150-199) is in ELM 3.3 namespace
    assert "https://qdr.example/qualification/0-0#offer" in offers
    archive_notes = [n for n in outcome.notes if n.field == "archive"]
    assert len(archive_notes) == 2 and all("files;" in n.value and "not released" in n.value for n in archive_notes)
    assert any(n.field == "elm:Qualification" and n.kind == "guessed" for n in outcome.notes)


def test_an_unchanged_weekly_dump_costs_its_requests_only(tmp_path, catalogue):
    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 200, files=4, parts=2, base_url=server.url("/qdr/"))
        url = _serve(server, tmp_path, dump)
        assert catalogue.harvest(url).run.outcome == "published"
        again = catalogue.harvest(url)
        assert again.run.outcome == "unchanged", again.run.message
        zips = [r for r in server.requests if r[1].endswith(".zip")]
        assert len(zips) == 4 and all(r[2].get("If-None-Match") for r in zips[2:])


def test_a_changed_dump_rewrites_only_the_changed_offers(tmp_path, catalogue):
    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 200, files=4, parts=2, base_url=server.url("/qdr/"))
        url = _serve(server, tmp_path, dump)
        first = catalogue.harvest(url)
        changed = write_dump(tmp_path / "dump2", 200, files=4, parts=2, base_url=server.url("/qdr/"), changed=frozenset({3}))
        _serve(server, tmp_path, changed)
        second = catalogue.harvest(url)
    assert second.run.outcome == "published", second.run.message
    assert second.run.unchanged == first.run.published - 1
    titles = {r["t"].value for r in catalogue.store.query('SELECT ?t WHERE { <https://data.provider0.example/offer/3> dcterms:title ?t }')}
    assert any("(v1)" in t for t in titles)


def test_a_broken_member_is_reported_by_name_and_line_and_the_others_are_read(tmp_path, catalogue):
    dump = write_dump(tmp_path / "dump", 100, files=2, parts=1)
    with zipfile.ZipFile(dump.parts[0], "a") as archive:
        archive.writestr("learning-opportunities/broken.ttl", "@prefix elm: <http://data.europa.eu/snb/model/elm/> .\n<x> a elm:LearningOpportunity ;\n  elm:status \"released\" ;;; .\n")
    outcome = catalogue.harvest(str(dump.parts[0]))
    errors = [e for e in outcome.errors if "broken.ttl" in e.record]
    assert errors and "line" in errors[0].message.lower() or errors[0].position
    assert outcome.run.published >= 90


def test_the_commissions_example_offers_in_a_dump(tmp_path, catalogue):
    examples = SHARED / "elm" / "examples"
    if not examples.exists():
        pytest.skip("the ELM examples are expected in ../shared/elm/examples")
    archive = tmp_path / "SE.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(examples.glob("*.ttl")):
            handle.writestr(path.name, path.read_text(encoding="utf-8"))
    outcome = catalogue.harvest(str(archive))
    # lo-microcredential.ttl gives its duration as "P6W", which is not an XSD duration: that offer is held back.
    assert (outcome.run.seen, outcome.run.published, outcome.run.quarantined) == (2, 1, 1), outcome.run.message
    values = {r["v"].value for r in catalogue.store.query(
        "SELECT ?v WHERE { GRAPH ?g { ?f a mcc:Finding ; mcc:value ?v } }", default_graphs=[])}
    assert '"P6W"^^<http://www.w3.org/2001/XMLSchema#duration>' in values or "P6W" in " ".join(values)


def test_not_a_zip_file_is_a_clear_error(tmp_path, catalogue):
    fake = tmp_path / "SE.zip"
    fake.write_bytes(io.BytesIO(b"not a zip").getvalue())
    outcome = catalogue.harvest(str(fake))
    assert outcome.run.outcome == "failed" and "not a readable ZIP file" in outcome.run.message
