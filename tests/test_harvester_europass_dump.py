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
    assert errors and ("line" in errors[0].message.lower() or errors[0].position)
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


def _derivation_count(store) -> int:
    return len(list(store.query("SELECT ?d WHERE { ?r mcc:derivation ?d }")))


def test_only_the_member_files_that_changed_are_parsed_again(tmp_path, catalogue):
    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 200, files=4, parts=2, base_url=server.url("/qdr/"))
        url = _serve(server, tmp_path, dump)
        first = catalogue.harvest(url)
        offers, derived, changes = catalogue.offers(), _derivation_count(catalogue.store), catalogue.state.change_count()
        changed = write_dump(tmp_path / "dump2", 200, files=4, parts=2, base_url=server.url("/qdr/"), changed=frozenset({3}))
        _serve(server, tmp_path, changed)
        second = catalogue.harvest(url)
    assert second.run.outcome == "published", second.run.message
    # Offer 3 is in file 0, in part 1 with file 2; part 2 holds files 1 and 3, both unchanged.
    notes = {n.record: n.value for n in second.notes if n.field == "archive"}
    assert notes["SE-part1.zip"].startswith("2 files; 1 unchanged;"), notes
    assert notes["SE-part2.zip"].startswith("2 files; 2 unchanged;"), notes
    assert second.run.unchanged == first.run.published - 1 and second.run.carried_over == 0
    assert catalogue.offers() == offers
    assert _derivation_count(catalogue.store) == derived  # unchanged offers keep what the catalogue derived for them
    assert catalogue.state.change_count() == changes + 1  # one update in the change feed


def test_a_dump_served_again_without_a_304_is_unchanged_by_its_member_hashes(tmp_path, catalogue):
    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 200, files=4, parts=2, base_url=server.url("/qdr/"))
        url = _serve(server, tmp_path, dump)
        first = catalogue.harvest(url)
        for part in dump.parts:  # new archives (other bytes, so no 304) with the same member files
            with zipfile.ZipFile(part, "a") as archive:
                archive.writestr("README.txt", "Regenerated this week.")
        _serve(server, tmp_path, dump)
        again = catalogue.harvest(url)
    assert again.run.outcome == "unchanged", again.run.message
    assert again.run.published == first.run.published
    assert [n.value.split(";")[1] for n in again.notes if n.field == "archive"] == [" 2 unchanged", " 2 unchanged"]


def _graph_quads(store, graphs) -> set[str]:
    return {str(t) for g in graphs for t in store.triples(g)}


def _same_content(one, other) -> None:
    """The same offers in the source graph, the same quarantined offers, as many statements in each graph."""
    assert _graph_quads(one.store, [one.store.source_graph("se")]) == _graph_quads(other.store, [other.store.source_graph("se")])
    assert one.quarantined() == other.quarantined()
    for graph in (one.store.records_graph("se"), one.store.quarantine_graph("se")):
        assert one.store.count(graph) == other.store.count(graph)


def test_a_source_in_bounded_batches_spilled_to_disk_ends_as_the_same_store(tmp_path, validator, monkeypatch):
    from catalogue.harvest import pipeline
    from catalogue.store import staging
    from catalogue.store.oxigraph import OxigraphStore

    from .conftest import BASE

    with FeedServer() as server:
        dump = write_dump(tmp_path / "dump", 300, files=6, parts=2, base_url=server.url("/qdr/"))
        url = _serve(server, tmp_path, dump)
        whole = Dumps(tmp_path / "whole", validator)
        whole.harvest(url)
        monkeypatch.setattr(pipeline, "BATCH_OFFERS", 40)
        monkeypatch.setattr(staging, "SPILL_QUADS", 500)
        batched = Dumps(tmp_path / "batched", validator)
        batched.store = OxigraphStore.open(tmp_path / "batched-store", BASE)  # on disk: the change goes through the journal
        outcome = batched.harvest(url)
        assert outcome.run.outcome == "published", outcome.run.message
        _same_content(batched, whole)
        before = batched.offers()  # published ones: quarantined offers were never public, so never withdrawn
        assert not list((tmp_path / "batched" / "data" / "staging").iterdir())  # nothing staged is left behind

        # A changed dump: one offer changed, one file gone (its offers withdrawn), through the sorted difference.
        changed = write_dump(tmp_path / "dump2", 250, files=5, parts=2, base_url=server.url("/qdr/"), changed=frozenset({3}))
        _serve(server, tmp_path, changed)
        monkeypatch.undo()
        fresh = Dumps(tmp_path / "fresh", validator)
        fresh.harvest(url)
        monkeypatch.setattr(pipeline, "BATCH_OFFERS", 40)
        monkeypatch.setattr(staging, "SPILL_QUADS", 500)
        again = batched.harvest(url, accept_shrink=True)
    assert again.run.outcome == "published", again.run.message
    gone = before - (fresh.offers() | fresh.quarantined())
    assert len(gone) > 40 and again.run.withdrawn == len(gone)  # the released offers of the file that is gone
    _same_content(batched, fresh)
    assert batched.offers() == fresh.offers()


def test_what_a_stopped_batched_run_left_staged_is_cleared_by_the_next(tmp_path, catalogue, monkeypatch):
    from catalogue.harvest import pipeline
    from catalogue.harvest.provenance import run_iri
    from catalogue.store import staging

    dump = write_dump(tmp_path / "dump", 200, files=4, parts=1)
    # A run stopped after staging a batch: events without an admission, a staged folder on disk.
    stopped = run_iri(catalogue.config.base, "se", "2026-12-01T00:00:00.000Z")
    catalogue.state.stage_events(stopped, [("https://x.example/o", "create", "h", "<https://x.example/o> <https://x.example/p> \"v\" .\n")], first=True)
    left = catalogue.config.data_dir / "staging" / (staging.stage_name("se") + "-stopped")
    left.mkdir(parents=True)
    (left / "new.nq").write_text("<https://x.example/o> <https://x.example/p> \"v\" <https://x.example/g> .\n")
    other = run_iri(catalogue.config.base, "se-2", "2026-12-01T00:00:00.000Z")  # another source's, whose id starts the same
    catalogue.state.stage_events(other, [("https://x.example/q", "create", "h", None)], first=True)
    monkeypatch.setattr(pipeline, "BATCH_OFFERS", 40)
    monkeypatch.setattr(staging, "SPILL_QUADS", 500)
    outcome = catalogue.harvest(str(dump.parts[0]))
    assert outcome.run.outcome == "published", outcome.run.message
    runs = {row[0] for row in catalogue.state.db.execute("SELECT DISTINCT run FROM pending_changes")}
    assert runs == {other}  # the stopped run's events are gone, the other source's are not this run's to judge
    assert not left.exists() and not list((catalogue.config.data_dir / "staging").iterdir())
    assert "https://x.example/o" not in {c["offer"] for c in catalogue.state.changes(limit=10_000)}
