"""Reading offers for the search index in worker processes gives exactly what one process reads, in order."""

from __future__ import annotations

from pathlib import Path

from catalogue.config import load_config
from catalogue.publish import parallel_reads
from catalogue.publish.offer_data import offer_iris, read_offers
from catalogue.store.oxigraph import OxigraphStore


def test_workers_read_the_same_summaries_in_the_same_order(cli, example_files, monkeypatch):
    for path in example_files:
        assert cli("load", str(path), "--source", path.stem).exit_code == 0
    # One offer published by a second source too: merged across the chunks the workers read.
    assert cli("load", str(example_files[0]), "--source", "again").exit_code == 0
    current = (Path("data") / "published" / "CURRENT").read_text(encoding="utf-8").strip()
    snapshot = OxigraphStore.open(Path("data") / "published" / current / "store", load_config().base, read_only=True)
    pairs = offer_iris(snapshot)
    assert len(pairs) > 20 and len({iri for iri, _ in pairs}) < len(pairs)
    monkeypatch.setattr(parallel_reads, "SERIAL_BELOW", 0)
    in_workers = list(parallel_reads.read_published_offers(snapshot, pairs, workers=2, chunk=5))
    in_one = list(read_offers(snapshot, pairs))
    assert [o.iri for o in in_workers] == [o.iri for o in in_one]
    assert in_workers == in_one
    assert any(len(o.sources) == 2 for o in in_workers)


def test_offer_pages_rendered_in_workers_are_those_rendered_in_one_process(cli, example_files, monkeypatch):
    """The site renders offer pages where the offers are read: in the workers, the same pages in the same order."""
    from functools import partial

    from catalogue.site.offer_pages import offer_pages

    for path in example_files:
        assert cli("load", str(path), "--source", path.stem).exit_code == 0
    assert cli("load", str(example_files[0]), "--source", "again").exit_code == 0
    current = (Path("data") / "published" / "CURRENT").read_text(encoding="utf-8").strip()
    config = load_config()
    snapshot = OxigraphStore.open(Path("data") / "published" / current / "store", config.base, read_only=True)
    pairs = offer_iris(snapshot)
    render = partial(offer_pages, config, {"again": "2026-12-01T10:00:00"}, {"again": "A second source"})
    monkeypatch.setattr(parallel_reads, "SERIAL_BELOW", 0)
    in_workers = list(parallel_reads.map_published_offers(snapshot, pairs, render, workers=2, chunk=5))
    in_one = list(parallel_reads.map_published_offers(snapshot, pairs, render, workers=1))
    assert [iri for iri, _ in in_workers] == list(dict.fromkeys(iri for iri, _ in pairs))
    assert in_workers == in_one
    assert all(len(pages) == 2 and all("<html" in html for _, html in pages) for _, pages in in_workers)
