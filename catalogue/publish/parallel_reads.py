"""Reading the offers of a published snapshot on every core.

Reading offers (a dozen index lookups per chunk of a thousand offers) is most of the cost of building the
search index, and it is work one process does while the other core waits. Worker processes each open the
snapshot read-only (Oxigraph allows readers beside the one writer) and read chunks of offers; the publishing
process merges offers several sources publish and writes the index. At most a few chunks wait to be taken, so
memory is set by the chunk, not by the catalogue.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from catalogue.garbage_collection import tune_for_batch_work
from catalogue.store.base import CatalogueStore
from catalogue.store.oxigraph import OxigraphStore
from catalogue.worker_watchdog import watch_parent
from catalogue.worker_window import in_order

from .offer_data import CHUNK, OfferSummary, merged_sources, read_chunk, read_offers

SERIAL_BELOW = 4 * CHUNK  # fewer offers than this are read in this process: starting workers costs more

_snapshot: OxigraphStore | None = None


def worker_count() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def read_published_offers(store: CatalogueStore, pairs: list[tuple[str, str]], workers: int | None = None,
                          chunk: int = CHUNK) -> Iterator[OfferSummary]:
    """``offer_data.read_offers(store, pairs)``: the same summaries in the same order, read by worker processes
    when ``store`` is an embedded store on disk that nothing writes while they are read (a published snapshot)."""
    workers = workers or worker_count()
    if workers < 2 or len(pairs) < SERIAL_BELOW or not isinstance(store, OxigraphStore) or store.path is None:
        return read_offers(store, pairs, chunk)
    return merged_sources(_in_workers(store.path, store.base, pairs, workers, chunk))


def _in_workers(path: Path, base: str, pairs: list[tuple[str, str]], workers: int, chunk: int) -> Iterator[OfferSummary]:
    # forkserver, not fork: the publishing process holds an open store, whose threads a fork would not carry over.
    # (A script that publishes needs the usual `if __name__ == "__main__":` guard, as for validation workers.)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open, initargs=(str(path), base, os.getpid())) as pool:
        starts = range(0, len(pairs), chunk)
        for _, summaries in in_order(pool, _read, starts, lambda start: (pairs[start:start + chunk],), 2 * workers):
            yield from summaries


def _open(path: str, base: str, owner: int) -> None:
    global _snapshot
    watch_parent(owner=owner)  # a publish killed outright must not leave its readers behind
    tune_for_batch_work()
    _snapshot = OxigraphStore.open(Path(path), base, read_only=True)


def _read(pairs: list[tuple[str, str]]) -> list[OfferSummary]:
    assert _snapshot is not None
    return read_chunk(_snapshot, pairs)
