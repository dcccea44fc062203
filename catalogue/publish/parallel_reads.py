"""Reading the offers of a published snapshot on every core.

Reading offers (a dozen index lookups per chunk of a thousand offers) is most of the cost of building the
search index, and it is work one process does while the other core waits. Worker processes each open the
snapshot read-only (Oxigraph allows readers beside the one writer) and read chunks of offers; the publishing
process writes the index. What is made of each offer can be made in the workers too (``map_published_offers``:
the site's offer pages). At most a few chunks wait to be taken, so memory is set by the chunk, not by the
catalogue.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from catalogue.garbage_collection import tune_for_batch_work
from catalogue.store.base import CatalogueStore
from catalogue.store.oxigraph import OxigraphStore
from catalogue.worker_watchdog import watch_parent
from catalogue.worker_window import in_order

from .kept_summaries import KeptSummaries, read_summaries
from .offer_data import CHUNK, OfferSummary, read_offers

SERIAL_BELOW = 4 * CHUNK  # fewer offers than this are read in this process: starting workers costs more

_snapshot: OxigraphStore | None = None
_kept: KeptSummaries | None = None
T = TypeVar("T")


def worker_count() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def read_published_offers(store: CatalogueStore, pairs: list[tuple[str, str]], workers: int | None = None,
                          chunk: int = CHUNK) -> Iterator[OfferSummary]:
    """``offer_data.read_offers(store, pairs)``: the same summaries in the same order, read by worker processes
    when ``store`` is an embedded store on disk that nothing writes while they are read (a published snapshot)."""
    return map_published_offers(store, pairs, _as_read, workers, chunk)


def map_published_offers(store: CatalogueStore, pairs: list[tuple[str, str]], work: Callable[[list[OfferSummary]], list[T]],
                         workers: int | None = None, chunk: int = CHUNK, kept: KeptSummaries | None = None,
                         fingerprints: list[str | None] | None = None) -> Iterator[T]:
    """What ``work`` makes of the summaries of ``pairs`` (as ``read_offers`` gives them), a chunk at a time, in
    order. In worker processes, as ``read_published_offers`` reads, ``work`` runs there too, so that what is done
    with each offer (a page rendered, say) uses every core: it must be picklable (a module's function, or a
    ``functools.partial`` of one). A chunk never splits the sources of one offer, so each is merged in one place.
    With ``kept`` and each pair's listed ``fingerprints``, summaries the harvest kept are taken where they hold
    (``kept_summaries.read_summaries``)."""
    workers = workers or worker_count()
    if workers < 2 or len(pairs) < SERIAL_BELOW or not isinstance(store, OxigraphStore) or store.path is None:
        for first, last in _chunks(pairs, chunk):
            yield from work(list(_summaries(store, pairs[first:last], fingerprints[first:last] if fingerprints else None, kept)))
        return
    # forkserver, not fork: the publishing process holds an open store, whose threads a fork would not carry over.
    # (A script that publishes needs the usual `if __name__ == "__main__":` guard, as for validation workers.)
    context = multiprocessing.get_context("forkserver")
    folder = str(kept.folder) if kept is not None and fingerprints is not None else None
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open, initargs=(str(store.path), store.base, os.getpid(), folder)) as pool:
        for _, done in in_order(pool, _read, _chunks(pairs, chunk),
                                lambda bounds: (pairs[bounds[0]:bounds[1]], work, fingerprints[bounds[0]:bounds[1]] if folder else None),
                                2 * workers):
            yield from done


def _summaries(store: CatalogueStore, pairs: list[tuple[str, str]], fingerprints: list[str | None] | None,
               kept: KeptSummaries | None) -> Iterator[OfferSummary]:
    if kept is None or fingerprints is None:
        return read_offers(store, pairs, len(pairs) or 1)
    listing = sorted((iri, source, fingerprint) for (iri, source), fingerprint in zip(pairs, fingerprints, strict=True))
    return read_summaries(kept, listing, pairs, lambda rest: read_offers(store, rest, len(rest) or 1))


def _chunks(pairs: list[tuple[str, str]], size: int) -> Iterator[tuple[int, int]]:
    """(first, last) of slices of about ``size`` pairs, none ending between two sources of one offer."""
    first = 0
    while first < len(pairs):
        last = min(first + size, len(pairs))
        while last < len(pairs) and pairs[last][0] == pairs[last - 1][0]:
            last += 1
        yield first, last
        first = last


def _as_read(summaries: list[OfferSummary]) -> list[OfferSummary]:
    return summaries


def _open(path: str, base: str, owner: int, kept: str | None = None) -> None:
    global _snapshot, _kept
    watch_parent(owner=owner)  # a publish killed outright must not leave its readers behind
    tune_for_batch_work()
    _snapshot = OxigraphStore.open(Path(path), base, read_only=True)
    _kept = KeptSummaries(Path(kept)) if kept is not None else None


def _read(pairs: list[tuple[str, str]], work: Callable[[list[OfferSummary]], list[T]], fingerprints: list[str | None] | None = None) -> list[T]:
    assert _snapshot is not None
    return work(list(_summaries(_snapshot, pairs, fingerprints, _kept)))
