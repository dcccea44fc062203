"""Published generations: what the server serves, consistent with itself.

After a harvest or load changes the store, ``publish_generation`` makes:

* a snapshot of the store (a RocksDB hard-link checkpoint, milliseconds),
* the full dumps (N-Quads and Turtle, gzipped) with their size and SHA-256, each
  one gzip member joined from per-graph parts, parts of unchanged graphs reused (``dumps.py``),
* the search index (SQLite FTS5): the previous generation's, with the rows of
  new, changed and withdrawn offers rewritten (whole when the rules changed), from the summaries the
  harvest kept of them (``kept_summaries``) or, for offers it kept none of, read from the store,
* the statistics graph (offers per EQF level, field, provider …, ``statistics.py``) from the index's
  facet sizes, written into the snapshot (or the remote store) so the endpoint answers such questions
  without scanning every offer,
* ``meta.json`` with counts and times, among them what the endpoint answers about the
  size of the data (``describe.dataset_counts``: the default graph's triples, entities and
  classes, each named graph's triples), so the VoID and service descriptions never scan,

in ``DATA/published/<generation>/``, then points ``DATA/published/CURRENT`` at
it (write and rename: atomic). With a remote SPARQL store there is no
snapshot: the dumps and the search index are read from the server, and the
server's own SPARQL endpoint answers queries (``published_store``). The server reads the snapshot read-only, so a
harvest writing the primary store never blocks it and clients never see a
half-written state; when CURRENT changes, the server moves to the new
generation. Older generations are removed, keeping the last few for servers
that may still be reading them.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from catalogue.config import Config
from catalogue.freed_memory import give_back_freed_memory
from catalogue.resources import code_fingerprint
from catalogue.store.base import CatalogueStore
from catalogue.store.factory import open_store
from catalogue.store.graph_text import GraphTexts
from catalogue.store.oxigraph import OxigraphStore

from .describe import dataset_counts, measured_by
from .dumps import graph_fingerprints, kept_texts, write_dumps
from .europass_subset import NAME as EUROPASS_DUMP
from .europass_subset import europass_dump, ready_offers
from .kept_summaries import Counted, KeptSummaries, read_summaries
from .kept_work import KeptWork
from .offer_data import offer_listing
from .parallel_reads import SERIAL_BELOW, read_published_offers, worker_count
from .search_index import refresh as refresh_index
from .statistics import facet_sizes, statistics_triples
from .time_relevance import refresh_statuses

KEEP_GENERATIONS = 3

# The code that decides what a row of the search index holds.
SEARCH_INDEX_CODE = ("catalogue.publish.search_index", "catalogue.publish.search_sets", "catalogue.publish.search_terms", "catalogue.publish.offer_data",
                     "catalogue.publish.offer_walk", "catalogue.publish.offer_summary", "catalogue.publish.gazetteer", "catalogue.publish.search_words",
                     "catalogue.text")


@dataclass(frozen=True)
class Generation:
    id: str
    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @property
    def has_snapshot(self) -> bool:
        return (self.store_path / "CURRENT").exists()

    @property
    def dumps(self) -> Path:
        return self.path / "dumps"

    @property
    def search_path(self) -> Path:
        return self.path / "search.sqlite"

    @property
    def meta(self) -> dict:
        try:
            return json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


def published_root(config: Config) -> Path:
    return config.data_dir / "published"


def current_generation(config: Config) -> Generation | None:
    root = published_root(config)
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = root / name
    return Generation(name, path) if (path / "meta.json").exists() else None


def publish_generation(config: Config, store: CatalogueStore, now: datetime | None = None) -> Generation:
    moment = now or datetime.now(timezone.utc)
    root = published_root(config)
    root.mkdir(parents=True, exist_ok=True)
    generation_id = moment.strftime("%Y%m%dT%H%M%S%fZ")
    path = root / generation_id
    path.mkdir(parents=True)
    generation = Generation(generation_id, path)
    timings: dict[str, float] = {}
    mark = time.perf_counter()
    # What a publish works out per graph is kept under the live store's stamps, which also hold for its snapshot.
    def kept(kind: str, *modules: str) -> KeptWork | None:
        return KeptWork.in_data_dir(config.data_dir, kind, store.graph_stamps, *modules) if store.versions is not None else None

    texts, summaries = GraphTexts.in_data_dir(config.data_dir), KeptSummaries.in_data_dir(config.data_dir)
    statuses = refresh_statuses(store, moment, kept("time-status", "catalogue.publish.time_relevance"), texts, summaries)
    timings["time relevance"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if isinstance(store, OxigraphStore):
        store.snapshot(generation.store_path)
        # Opened for writing: the statistics graph is added to the snapshot, which nobody reads before CURRENT moves.
        source: CatalogueStore = OxigraphStore.open(generation.store_path, config.base)
    else:
        source = store  # the server holds the data; what is read here is what it serves
    timings["snapshot"] = time.perf_counter() - mark
    try:
        earlier = current_generation(config)
        listing = offer_listing(source, kept("listing", "catalogue.publish.offer_data"))
        mark = time.perf_counter()
        counted = Counted()
        refreshed = refresh_index(
            generation.search_path, listing,
            lambda pairs: read_summaries(summaries, listing, pairs, lambda rest: read_published_offers(source, rest), counted),
            previous=earlier.search_path if earlier else None, rules=code_fingerprint(*SEARCH_INDEX_CODE),
        )
        offers = refreshed.offers
        give_back_freed_memory()  # the offers read for the index are garbage now (``freed_memory``)
        timings["search index"] = time.perf_counter() - mark
        mark = time.perf_counter()
        statistics = statistics_triples(config.base, facet_sizes(generation.search_path))
        source.replace_graph(source.statistics_graph, statistics)
        timings["statistics"] = time.perf_counter() - mark
        mark = time.perf_counter()
        subset = europass_dump(source, listing)
        fingerprints = graph_fingerprints(source, listing, in_hand={source.statistics_graph: statistics})
        copies = kept_texts(source, listing, texts, store.graph_stamps())
        dumps, reused = write_dumps(
            source, generation.dumps, fingerprints, earlier.dumps if earlier else None,
            extra={EUROPASS_DUMP: subset}, kept=copies,
            workers=worker_count() if len(listing) >= SERIAL_BELOW else 1,
        )
        texts.keep_only(graph for s in source.source_ids()
                        for graph in (source.source_graph(s), source.records_graph(s), source.quarantine_graph(s)))
        summaries.keep_only(source.source_ids())
        give_back_freed_memory()
        timings["dumps"] = time.perf_counter() - mark
        mark = time.perf_counter()
        sizes = kept("graph-size", "catalogue.store.base")
        counts = source.source_counts(measured_by(source, sizes))
        described = dataset_counts(source, sizes, kept("graph-subjects", "catalogue.publish.subject_counts"), copies)
        timings["counts"] = time.perf_counter() - mark
        meta = {
            "generation": generation_id,
            "created": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "backend": config.store.backend,
            "offers": offers,
            "search index": {"offers read": refreshed.read, "built whole": refreshed.whole,
                             "summaries kept at harvest": counted.kept, "summaries read from the store": counted.read},
            "dump graphs reused": reused,
            "offers by time status": statuses,
            "europass ready offers": sum(len(offers) for offers in ready_offers(listing).values()),
            "sources": counts,
            "dumps": dumps,
            "graphs": sorted(described["graphs"]),
            "counts": described,
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
    finally:
        if source is not store:
            source.close()
    (path / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    pointer = root / "CURRENT.tmp"
    pointer.write_text(generation_id, encoding="utf-8")
    pointer.replace(root / "CURRENT")
    _prune(root, generation_id)
    return generation


def published_store(config: Config, generation: Generation) -> CatalogueStore:
    """A read-only view of what ``generation`` published: its snapshot, or the remote server itself."""
    if generation.has_snapshot:
        return OxigraphStore.open(generation.store_path, config.base, read_only=True)
    return open_store(config)


def _prune(root: Path, keep_id: str) -> None:
    generations = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in generations[:-KEEP_GENERATIONS]:
        if old.name != keep_id:
            shutil.rmtree(old, ignore_errors=True)
