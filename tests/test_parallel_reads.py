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
