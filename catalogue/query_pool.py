"""Running SPARQL queries with a time limit: a pool of worker processes that can be killed.

pyoxigraph's ``Store.query`` cannot be cancelled, so each query runs in a
worker process holding a read-only view of the published store. When a query
passes its time limit the worker is killed and replaced; the client gets a
clear error and the other workers go on answering. Each worker also has a cap
on memory, so one heavy query cannot take the machine down.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import results
from .namespaces import PREFIXES
from .negotiation import negotiate
from .sparql_text import names_its_dataset, uses

SOLUTION_MEDIA = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values", "application/json", "application/xml", "text/xml"]
GRAPH_MEDIA = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/n-quads", "application/trig", "text/plain"]
FORMAT_NAMES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle", "ntriples": "application/n-triples",
    "nt": "application/n-triples", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
    "nquads": "application/n-quads", "trig": "application/trig",
}


@dataclass
class QueryJob:
    query: str
    accept: str | None = None
    default_graphs: list[str] | None = None  # None: the public view (unless the query names its dataset)
    named_graphs: list[str] | None = None  # None: every named graph
    max_rows: int = 100_000
    base_iri: str | None = None


@dataclass
class QueryAnswer:
    status: str  # "ok", "syntax", "forbidden", "too-large", "not-acceptable", "timeout", "failed", "busy"
    body: bytes = b""
    media_type: str = "text/plain; charset=utf-8"
    message: str = ""
    count: int = 0
    seconds: float = 0.0
    kind: str = ""


# -- what runs in a worker -------------------------------------------------------------------


def execute(store: ox.Store, public: list[str], job: QueryJob) -> QueryAnswer:
    """Run one query and serialise its answer (also used in-process where there is no pool)."""
    started = time.perf_counter()
    if uses(job.query, "SERVICE"):
        return QueryAnswer("forbidden", message="SERVICE (federated queries to other endpoints) is switched off on this endpoint.")
    options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": job.base_iri}
    if job.default_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs] or ox.DefaultGraph()
    elif not names_its_dataset(job.query):
        options["default_graph"] = [ox.NamedNode(g) for g in public] or ox.DefaultGraph()
    if job.named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        answer = store.query(job.query, **options)
        serialised, kind = _serialise(answer, job)
    except SyntaxError as error:
        return QueryAnswer("syntax", message=f"The query is not valid SPARQL: {error}")
    except results.TooManyResults as error:
        return _too_large(error)
    except _NotAcceptable as error:
        return QueryAnswer("not-acceptable", message=str(error))
    except OSError as error:
        return QueryAnswer("failed", message=f"The query could not be run: {error}")
    return QueryAnswer("ok", serialised.body, serialised.media_type, count=serialised.count, seconds=time.perf_counter() - started, kind=kind)


class _NotAcceptable(Exception):
    pass


def _too_large(error: results.TooManyResults) -> QueryAnswer:
    return QueryAnswer(
        "too-large",
        message=f"The result has more than {error.limit} {error.unit}, the limit of this endpoint. "
        "Add LIMIT/OFFSET to page through it, or download the full dump (/dumps/).",
    )


def _serialise(answer, job: QueryJob) -> tuple[results.Serialised, str]:
    if isinstance(answer, ox.QueryTriples) or not isinstance(answer, (ox.QuerySolutions, ox.QueryBoolean)):
        media = _choose(job.accept, GRAPH_MEDIA, "text/turtle")
        return results.triples(answer, results.GRAPH_FORMATS[media], job.max_rows, PREFIXES), "graph"
    media = _choose(job.accept, SOLUTION_MEDIA, "application/sparql-results+json")
    fmt = results.SOLUTION_FORMATS[media]
    if isinstance(answer, ox.QueryBoolean):
        return results.boolean(bool(answer), fmt), "boolean"
    return results.solutions(answer, fmt, job.max_rows), "solutions"


def _choose(accept: str | None, offered: list[str], default: str) -> str:
    if accept and accept.lower() in FORMAT_NAMES:
        named = FORMAT_NAMES[accept.lower()]
        if named in offered:
            return named
        raise _NotAcceptable(f"The format '{accept}' does not fit this kind of query.")
    media = negotiate(accept, offered)
    if media is None:
        if accept and "text/html" in accept:
            return default
        raise _NotAcceptable("None of the formats you accept fits this query. This endpoint offers: " + ", ".join(offered))
    return media


def _worker_main(connection: Connection, store_path: str, memory_megabytes: int) -> None:
    if memory_megabytes:
        limit = memory_megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    store = ox.Store.read_only(store_path)
    public = _public_graphs(store)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            answer = execute(store, public, job)
        except MemoryError:
            answer = QueryAnswer("too-large", message="The query needed more memory than this endpoint allows; make it more selective.")
        connection.send(answer)


def _public_graphs(store: ox.Store) -> list[str]:
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return [g for g in names if "/graph/vocabulary" in g or "/graph/source/" in g or "/graph/records/" in g]


# -- the pool, in the server ----------------------------------------------------------------


@dataclass
class _Worker:
    process: Any
    connection: Connection
    store_path: str
    started: float = field(default_factory=time.monotonic)

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """``workers`` processes on the store at ``store_path``; ``run`` gives each query ``timeout`` seconds."""

    def __init__(self, store_path: Path, workers: int = 2, timeout: float = 20.0, memory_megabytes: int = 2048, queue_timeout: float = 30.0):
        self.context = multiprocessing.get_context("spawn")
        self.store_path = str(store_path)
        self.timeout = timeout
        self.memory_megabytes = memory_megabytes
        self.queue_timeout = queue_timeout
        self.size = max(1, workers)
        self._idle: asyncio.Queue[_Worker] | None = None
        self._lock = threading.Lock()
        self.killed = 0

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.store_path, self.memory_megabytes), daemon=True, name="sparql-worker"
        )
        process.start()
        child.close()
        return _Worker(process, parent, self.store_path)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(loop.run_in_executor(None, self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def run(self, job: QueryJob) -> QueryAnswer:
        assert self._idle is not None, "call start() first"
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_timeout)
        except asyncio.TimeoutError:
            return QueryAnswer("busy", message="All query workers are busy; try again in a moment.")
        if worker.store_path != self.store_path or not worker.process.is_alive():
            await loop.run_in_executor(None, worker.stop, not worker.process.is_alive())
            worker = await loop.run_in_executor(None, self._spawn)
        try:
            await loop.run_in_executor(None, worker.connection.send, job)
            ready = await loop.run_in_executor(None, worker.connection.poll, self.timeout)
            if not ready:
                self.killed += 1
                await loop.run_in_executor(None, worker.stop, True)
                worker = await loop.run_in_executor(None, self._spawn)
                return QueryAnswer(
                    "timeout",
                    message=f"The query was stopped after {self.timeout:g} seconds, the time limit of this endpoint. "
                    "Make it more selective, or download the full dump.",
                    seconds=time.perf_counter() - started,
                )
            answer: QueryAnswer = await loop.run_in_executor(None, worker.connection.recv)
            return answer
        except (EOFError, OSError):
            await loop.run_in_executor(None, worker.stop, True)
            worker = await loop.run_in_executor(None, self._spawn)
            return QueryAnswer("too-large", message="The query needed more memory than this endpoint allows; make it more selective.")
        finally:
            self._idle.put_nowait(worker)

    def switch(self, store_path: Path) -> None:
        """Serve a new store: workers move over as they next become free."""
        self.store_path = str(store_path)

    async def close(self) -> None:
        if self._idle is None:
            return
        loop = asyncio.get_running_loop()
        while not self._idle.empty():
            worker = self._idle.get_nowait()
            await loop.run_in_executor(None, worker.stop, False)


class RemoteQueryRunner:
    """Queries for a catalogue kept on a remote SPARQL server: sent there with the same dataset, limits and formats.

    The time limit is enforced on the request; the server's own query timeout (Oxigraph ``--timeout-s``,
    Virtuoso ``MaxQueryExecutionTime``) should be set too, so an abandoned query also stops there.
    """

    def __init__(self, store, workers: int = 2, timeout: float = 20.0):
        self.store = store
        self.timeout = timeout
        self.size = max(1, workers)
        self.killed = 0  # queries abandoned at the time limit
        self._slots: asyncio.Semaphore | None = None

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self.size)

    async def run(self, job: QueryJob) -> QueryAnswer:
        assert self._slots is not None, "call start() first"
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self._slots.acquire(), 30.0)
        except asyncio.TimeoutError:
            return QueryAnswer("busy", message="All query slots are busy; try again in a moment.")
        try:
            return await loop.run_in_executor(None, self._execute, job)
        finally:
            self._slots.release()

    def _execute(self, job: QueryJob) -> QueryAnswer:
        from .errors import StoreError
        from .remote_store import with_prologue

        started = time.perf_counter()
        if uses(job.query, "SERVICE"):
            return QueryAnswer("forbidden", message="SERVICE (federated queries to other endpoints) is switched off on this endpoint.")
        if job.default_graphs is not None:
            default = job.default_graphs
        elif names_its_dataset(job.query):
            default = []
        else:
            default = self.store.public_graphs()
        try:
            answer = self.store.client.query(with_prologue(job.query, job.base_iri), default or None, job.named_graphs, timeout=self.timeout)
            serialised, kind = _serialise(answer, job)
        except StoreError as error:
            text = str(error)
            if "did not answer" in text:
                self.killed += 1
                return QueryAnswer("timeout", message=f"The query was stopped after {self.timeout:g} seconds, the time limit of this endpoint. "
                                   "Make it more selective, or download the full dump.", seconds=time.perf_counter() - started)
            if "HTTP 400" in text:
                return QueryAnswer("syntax", message=f"The query was refused: {text.split(': ', 1)[-1]}")
            return QueryAnswer("failed", message=text)
        except results.TooManyResults as error:
            return _too_large(error)
        except _NotAcceptable as error:
            return QueryAnswer("not-acceptable", message=str(error))
        return QueryAnswer("ok", serialised.body, serialised.media_type, count=serialised.count, seconds=time.perf_counter() - started, kind=kind)

    def switch(self, store_path) -> None:  # a remote server has no snapshots to move between
        pass

    async def close(self) -> None:
        pass


def cpu_count() -> int:
    return os.cpu_count() or 1
