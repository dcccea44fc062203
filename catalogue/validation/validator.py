"""Validating offers one by one, fast.

Each offer is validated with what it links to in its own source plus the
vocabulary concepts it uses, so one bad offer never hides the rest and every
result names its offer. To make that cheap:

* offers whose content and rules are unchanged come from the cache;
* the rest are validated in batches (one SHACL engine call per batch, results
  attributed back to offers, see ``catalogue.validation.shacl``); the engine is pyshacl
  or rudof (``catalogue.validation.rudof``, same findings, faster), see
  ``ValidatorSettings.engine``;
* large inputs use a process pool, one worker per core; results come back in
  input order whatever the order batches finish in. Workers exit when the
  process that started them dies (``catalogue.worker_watchdog``).

Validation never touches the network: shapes and vocabulary are local files, and documents
arrive parsed (``catalogue.harvest.self_check`` reads a provider's files and addresses).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from catalogue.garbage_collection import tune_for_batch_work
from catalogue.rdf_document import RdfDocument
from catalogue.vocab import Vocabulary, load_vocabulary
from catalogue.worker_watchdog import watch_parent
from catalogue.worker_window import in_order

from .cache import ValidationCache, document_key, offer_key
from .offers import Extraction, OfferRecord, extract_offers
from .report import Finding, OfferReport
from .shacl import BatchOffer, ShaclEngine, engine

Progress = Callable[[int], None]  # called with the number of offers just finished
# Work done on each offer where it is validated: given the offer (its statements as N-Triples) and its findings (as
# ``Finding`` takes them). It must pickle, being sent to the worker processes: a module-level function or a partial.
Alongside = Callable[[BatchOffer, list[dict]], Any]


@dataclass
class ValidatorSettings:
    workers: int = 0  # 0: one per core
    batch_size: int = 150
    parallel_from: int = 300  # fewer offers to validate than this: no pool
    cache: ValidationCache | None = None
    # "pyshacl", "rudof" (needs pyrudof; same findings, faster) or "auto": rudof when
    # pyrudof can be imported and supports the shapes, else pyshacl.
    engine: str = "auto"


ENGINES = ("pyshacl", "rudof", "auto")


@lru_cache(maxsize=None)
def resolve_engine(name: str) -> str:
    """The engine ``name`` stands for: "pyshacl" or "rudof" (ImportError if "rudof" cannot be loaded)."""
    if name not in ENGINES:
        raise ValueError(f"Unknown validation engine {name!r}: use one of {', '.join(ENGINES)}.")
    if name == "pyshacl":
        return name
    try:
        shacl_rudof = importlib.import_module("catalogue.validation.rudof")
    except ImportError:
        if name == "rudof":
            raise
        return "pyshacl"
    try:
        shacl_rudof.rudof_engine()
    except shacl_rudof.UnsupportedShapes:
        if name == "rudof":
            raise
        return "pyshacl"
    return "rudof"


def validation_engine(name: str) -> ShaclEngine:
    """The engine object (loaded once per process) for a resolved engine name."""
    if name == "rudof":
        from .rudof import rudof_engine

        return rudof_engine()
    return engine()


def validator_settings(config, cache_path: Path | None = None, workers: int | None = None) -> ValidatorSettings:
    """How commands validate: the configuration's workers and engine, with a validation cache at ``cache_path``."""
    return ValidatorSettings(
        workers=config.validation_workers if workers is None else workers,
        cache=ValidationCache(cache_path) if cache_path is not None else None,
        engine=config.validation_engine,
    )


@dataclass
class DocumentResult:
    reports: list[OfferReport]
    extraction: Extraction | None
    notes: list[str] = field(default_factory=list)


class Validator:
    def __init__(self, base: str, settings: ValidatorSettings | None = None, vocabulary: Vocabulary | None = None):
        self.base = base
        self.settings = settings or ValidatorSettings()
        self.vocabulary = vocabulary or load_vocabulary()
        self.cache = self.settings.cache or ValidationCache(None)
        self._pool: ProcessPoolExecutor | None = None
        # Sources are validated from several harvest threads at once: the cache's connection, the pool's start and
        # the engine in this process (used for small batches) are taken one thread at a time.
        self._lock = threading.RLock()
        if self.settings.engine not in ENGINES:
            raise ValueError(f"Unknown validation engine {self.settings.engine!r}: use one of {', '.join(ENGINES)}.")

    @property
    def engine_name(self) -> str:
        """"pyshacl" or "rudof": the engine this validator uses (resolved, and loaded, on first use)."""
        return resolve_engine(self.settings.engine)

    # -- whole inputs ------------------------------------------------------------

    def validate_document(self, document: RdfDocument, progress: Progress | None = None) -> DocumentResult:
        key = document_key(document.content, f"parsed|{document.format.name}", self.base) if document.content else None
        remembered = self.remembered(key, progress) if key else None
        if remembered is not None:
            return remembered
        return self.validate_parsed(document, key, progress)

    def remembered(self, key: str, progress: Progress | None) -> DocumentResult | None:
        remembered = self.cache.get_document(key)
        if remembered is None:
            return None
        offer_keys, notes = remembered
        stored = self.cache.get_reports(offer_keys)
        if len(stored) != len(offer_keys):
            return None
        reports = [OfferReport.from_cache(stored[k]) for k in offer_keys]
        if progress:
            progress(len(reports))
        return DocumentResult(reports, None, notes)

    def validate_parsed(self, document: RdfDocument, key: str | None, progress: Progress | None) -> DocumentResult:
        extraction = extract_offers(document.quads, self.vocabulary, self.base)
        reports = self.validate_records(extraction.offers, progress)
        notes = document.notes + extraction.notes
        if not reports:
            notes.append(_no_offer_hint(document))
        if key is not None:
            self.cache.put_document(key, [offer_key(r.content_hash) for r in reports], notes)
        return DocumentResult(reports, extraction, notes)

    # -- offers ------------------------------------------------------------------

    def validate_records(self, records: list[OfferRecord], progress: Progress | None = None) -> list[OfferReport]:
        """Reports for ``records`` in the same order, from the cache where possible."""
        return self.validate_records_with(records, None, progress)[0]

    def validate_records_with(self, records: list[OfferRecord], alongside: Alongside | None,
                              progress: Progress | None = None) -> tuple[list[OfferReport], dict[str, Any]]:
        """``validate_records``, and what ``alongside`` makes of each offer validated now (not taken from the cache),
        by offer IRI (None results left out). ``alongside`` runs where the offer is validated, in a worker process
        when the batch goes to one, so work that needs each offer's statements costs the caller's process nothing."""
        keys = [offer_key(r.content_hash) for r in records]
        with self._lock:
            stored = self.cache.get_reports(keys)
        reports: list[OfferReport | None] = [None] * len(records)
        made: dict[str, Any] = {}
        todo: list[int] = []
        for i, key in enumerate(keys):
            if key in stored:
                reports[i] = OfferReport.from_cache(stored[key])
            else:
                todo.append(i)
        if progress and len(todo) < len(records):
            progress(len(records) - len(todo))
        fresh: list[tuple[str, dict]] = []
        for indices, batch_findings, batch_made in self._run_batches(records, todo, alongside, progress):
            for n, (i, findings) in enumerate(zip(indices, batch_findings)):
                record = records[i]
                report = OfferReport(record.iri, record.titles, record.content_hash, [Finding(**f) for f in findings])
                reports[i] = report
                fresh.append((keys[i], report.to_cache()))
                if batch_made is not None and batch_made[n] is not None:
                    made[record.iri] = batch_made[n]
        with self._lock:
            self.cache.put_reports(fresh)
        return [r for r in reports if r is not None], made

    def _run_batches(self, records: list[OfferRecord], todo: list[int], alongside: Alongside | None, progress: Progress | None):
        size = self.settings.batch_size
        chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
        # Each batch's text is made when it is handed out, and only a few wait for a worker: made all at once, the
        # text of a quarter of a million offers was over a gigabyte.
        if len(todo) < self.settings.parallel_from or self._worker_count() < 2:
            for chunk in chunks:
                payload = [_payload(records[i]) for i in chunk]
                with self._lock:
                    findings, made = _validate_batch(payload, self.engine_name, alongside)
                yield chunk, findings, made
                if progress:
                    progress(len(chunk))
            return
        batches = in_order(self._executor(), _validate_batch, chunks,
                           lambda chunk: ([_payload(records[i]) for i in chunk], self.engine_name, alongside), 2 * self._worker_count())
        for chunk, (findings, made) in batches:
            yield chunk, findings, made
            if progress:
                progress(len(chunk))

    def _worker_count(self) -> int:
        return self.settings.workers or os.cpu_count() or 1

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            return self._started_pool()

    def _started_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            name = self.engine_name
            if name == "rudof":
                # rudof starts thread pools on its first validation, and the forked child of a
                # process that has them hangs in its own first validation. So every worker is
                # started now: forked while this process has no such threads (they inherit the
                # loaded engine), else from a fresh forkserver process (which imports __main__:
                # scripts need the usual `if __name__ == "__main__":` guard then).
                from .rudof import fork_is_safe

                if fork_is_safe():
                    validation_engine(name)
                    context = multiprocessing.get_context("fork")
                else:
                    context = multiprocessing.get_context("forkserver")
                    context.set_forkserver_preload(["catalogue.validation.validator", "catalogue.validation.rudof"])
                self._pool = ProcessPoolExecutor(
                    max_workers=self._worker_count(), mp_context=context, initializer=_start_worker, initargs=(name, os.getpid())
                )
                _wait_for_workers(self._pool, self._worker_count())
            else:
                validation_engine(name)  # load shapes and vocabulary once; forked workers inherit them
                context = multiprocessing.get_context("fork")
                self._pool = ProcessPoolExecutor(
                    max_workers=self._worker_count(), mp_context=context, initializer=_start_worker, initargs=(None, os.getpid())
                )
        return self._pool

    def start_workers(self) -> None:
        """Fork the worker pool now (before a progress display starts its thread)."""
        if self._worker_count() >= 2:
            self._executor()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _payload(record: OfferRecord) -> BatchOffer:
    return BatchOffer(record.iri, record.ntriples(), tuple(record.concepts), tuple(record.references))


def _validate_batch(batch: list[BatchOffer], engine_name: str, alongside: Alongside | None = None) -> tuple[list[list[dict]], list | None]:
    """Each offer's findings, and what ``alongside`` makes of each (None without it)."""
    findings = validation_engine(engine_name).validate(batch)
    if alongside is None:
        return findings, None
    return findings, [alongside(offer, found) for offer, found in zip(batch, findings, strict=True)]


def _start_worker(engine_name: str | None = None, owner: int | None = None) -> None:
    """Pool initializer: the worker exits when ``owner``, the process that made the pool, dies (a harvest
    killed with ``kill -9`` must not leave its workers behind, each holding hundreds of MB; a forkserver
    worker's parent is the fork server, which outlives the harvest); for rudof, load the engine."""
    watch_parent(owner=owner)
    tune_for_batch_work()
    if engine_name is not None:
        _load_engine(engine_name)


def _load_engine(engine_name: str) -> None:
    """Worker initializer: load the engine (and, for rudof, its session) before the first batch."""
    loaded = validation_engine(engine_name)
    if hasattr(loaded, "warm_up"):
        loaded.warm_up()


def _worker_pid(_: int) -> int:
    time.sleep(0.05)  # let every worker take one
    return os.getpid()


def _wait_for_workers(pool: ProcessPoolExecutor, count: int, timeout: float = 120.0) -> None:
    """Start ``count`` workers and wait until each has loaded its engine."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        seen.update(pool.map(_worker_pid, range(count)))


def _no_offer_hint(document: RdfDocument) -> str:
    types = {q.object.value for q in document.quads if q.predicate.value.endswith("#type")}
    hint = "it contains no offer (no node is typed elm:LearningOpportunity <http://data.europa.eu/snb/model/elm/LearningOpportunity>)."
    if any(t.startswith(("http://schema.org/", "https://schema.org/")) for t in types):
        hint += " It uses schema.org terms: harvest it with the schemaorg harvester, which maps them to ELM."
    elif types:
        shown = ", ".join(sorted(types)[:5])
        hint += f" Types found: {shown}."
    return hint
