"""Running reads of the published store with a time limit: worker processes that can be killed.

pyoxigraph's ``Store.query`` cannot be cancelled, so every read a request asks for
(a SPARQL query, the description of one resource) runs in a worker process
holding a read-only view of the published store. When a read passes its time
limit, or its client goes away, the worker is killed and replaced; the other
workers go on answering. Each worker:

* has a cap on memory and runs the engine on a thread with a large stack (the
  query parser is recursive; the lexer in ``sparql_check`` bounds nesting too);
* runs without any network: it moves into a network namespace of its own with
  no interfaces before it opens the store, so a SERVICE the lexer missed could
  still reach no host (``offline`` says whether the system allowed it);
* exits when the server process dies (it watches its parent).

Admission (``Admission``) keeps capacity for everyone: one client has at most
``per_client`` reads waiting or running, the last free worker goes to a client
that has nothing running, and a read waits at most ``queue_wait`` seconds for a
worker before it is answered "busy" (HTTP 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import resource
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from catalogue.errors import StoreError
from catalogue.namespaces import PREFIXES
from catalogue.store.remote import with_prologue
from catalogue.worker_watchdog import watch_parent

from . import results
from .negotiation import negotiate
from .resource_reads import (
    OxigraphReader,
    RemoteReader,
    Scopes,
    TermReader,
    description,
    offer_document,
    scopes_of,
    with_concepts,
)

SOLUTION_MEDIA = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values", "application/json", "application/xml", "text/xml"]
GRAPH_MEDIA = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/n-quads", "application/trig", "text/plain"]
# The names clients put in format= / output= (SPARQLWrapper, YASGUI, curl users), by kind of answer.
SOLUTION_NAMES = {
    "json": "application/sparql-results+json", "srj": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml", "csv": "text/csv", "tsv": "text/tab-separated-values",
}
GRAPH_NAMES = {
    "turtle": "text/turtle", "ttl": "text/turtle", "n3": "text/turtle", "ntriples": "application/n-triples",
    "n-triples": "application/n-triples", "nt": "application/n-triples", "json-ld": "application/ld+json",
    "jsonld": "application/ld+json", "json": "application/ld+json", "xml": "application/rdf+xml", "rdf": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml", "rdfxml": "application/rdf+xml", "nquads": "application/n-quads", "trig": "application/trig",
}
WORKER_STACK_BYTES = 256 * 2**20
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000


@dataclass
class QueryJob:
    query: str
    accept: str | None = None
    default_graphs: list[str] | None = None  # None: the public view (unless the query names its dataset)
    named_graphs: list[str] | None = None  # None: every named graph
    max_rows: int = 100_000
    base_iri: str | None = None
    formats: list[str] = field(default_factory=list)  # format= / output= values, tried before Accept
    names_dataset: bool = False  # the query has FROM / FROM NAMED (found by sparql_check)

    def run_local(self, store: ox.Store, scopes: Scopes) -> QueryAnswer:
        return execute(store, scopes.public, self)

    def run_remote(self, runner: RemoteQueryRunner) -> QueryAnswer:
        return runner.execute_query(self)


@dataclass
class ResourceJob:
    """What the catalogue says about one IRI (already checked as an IRI): ``kind`` "resource" or "offer"."""

    iri: str
    kind: str = "resource"
    max_triples: int = 100_000

    def run_local(self, store: ox.Store, scopes: Scopes) -> QueryAnswer:
        return read_resource(OxigraphReader(store), scopes, self)

    def run_remote(self, runner: RemoteQueryRunner) -> QueryAnswer:
        store = runner.store
        return read_resource(RemoteReader(store), scopes_of(store.graphs()), self)


Job = QueryJob | ResourceJob


@dataclass
class QueryAnswer:
    status: str  # "ok", "missing", "syntax", "forbidden", "too-large", "not-acceptable", "timeout", "failed", "busy", "gone"
    body: bytes = b""
    media_type: str = "text/plain; charset=utf-8"
    message: str = ""
    count: int = 0
    seconds: float = 0.0
    kind: str = ""  # solutions, boolean, graph; for resources: the scope it was found in (public, provenance, quarantine)
    retry_after: int | None = None


# -- what runs in a worker -------------------------------------------------------------------


def execute(store: ox.Store, public: list[str], job: QueryJob) -> QueryAnswer:
    """Run one query and serialise its answer (also used in-process where there is no pool)."""
    started = time.perf_counter()
    options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": job.base_iri}
    try:
        if job.default_graphs is not None:
            options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs] or ox.DefaultGraph()
        elif not job.names_dataset:
            options["default_graph"] = [ox.NamedNode(g) for g in public] or ox.DefaultGraph()
        if job.named_graphs is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    except ValueError as error:
        return QueryAnswer("syntax", message=f"A graph named by default-graph-uri or named-graph-uri is not an IRI: {error}")
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


def read_resource(reader: TermReader, scopes: Scopes, job: ResourceJob) -> QueryAnswer:
    """The triples about ``job.iri`` as N-Triples, and the scope they were found in; "missing" when there are none."""
    started = time.perf_counter()
    iri = ox.NamedNode(job.iri)
    if job.kind == "offer":
        found = [("public", offer_document(reader, iri, scopes, job.max_triples))]
    else:
        found = [(name, description(reader, iri, graphs, job.max_triples)) for name, graphs in
                 (("public", scopes.public), ("provenance", scopes.provenance), ("quarantine", scopes.quarantine))]
    for scope, triples in found:
        if not triples:
            continue
        if len(triples) > job.max_triples:
            return QueryAnswer("too-large", message=f"<{job.iri}> is described by more than {job.max_triples} statements; query it with LIMIT on /sparql.")
        triples = with_concepts(reader, triples, scopes.vocabulary)
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        return QueryAnswer("ok", body, "application/n-triples", count=len(triples), seconds=time.perf_counter() - started, kind=scope)
    return QueryAnswer("missing", message=f"<{job.iri}> is not in the published catalogue.")


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
        media = choose_media(job.formats, job.accept, GRAPH_MEDIA, GRAPH_NAMES, "text/turtle")
        return results.triples(answer, results.GRAPH_FORMATS[media], job.max_rows, PREFIXES), "graph"
    media = choose_media(job.formats, job.accept, SOLUTION_MEDIA, SOLUTION_NAMES, "application/sparql-results+json")
    fmt = results.SOLUTION_FORMATS[media]
    if isinstance(answer, ox.QueryBoolean):
        return results.boolean(bool(answer), fmt), "boolean"
    return results.solutions(answer, fmt, job.max_rows), "solutions"


def choose_media(formats: list[str], accept: str | None, offered: list[str], names: dict[str, str], default: str) -> str:
    """The first format= value that fits this kind of answer, else the best type the Accept header allows.

    Clients send both (SPARQLWrapper repeats its format as format=, output= and a media type, and an
    Accept header), and a name such as "xml" means RDF/XML for a graph but SPARQL XML for solutions.
    """
    for value in formats:
        media = names.get(value.strip().lower()) or value.split(";")[0].strip().lower()
        if media in offered:
            return media
    media = negotiate(accept, offered)
    if media is not None:
        return media
    if accept and "text/html" in accept:
        return default
    named = f"the format you named ({', '.join(formats)}) nor " if formats else ""
    raise _NotAcceptable(
        f"Neither {named}your Accept header ({accept}) fits this query. This endpoint offers: " + ", ".join(offered)
        if named else "None of the formats you accept fits this query. This endpoint offers: " + ", ".join(offered)
    )


def _isolate_network() -> bool:
    """Leave the host's network for a namespace of our own with no interfaces (before any thread starts)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return True
    return False


def _worker_main(connection: Connection, store_path: str, memory_megabytes: int, parent: int) -> None:
    offline = _isolate_network()
    watch_parent(owner=parent)
    if memory_megabytes:
        limit = memory_megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.stack_size(WORKER_STACK_BYTES)
    runner = threading.Thread(target=_serve, args=(connection, store_path, offline), name="query-engine")
    runner.start()
    runner.join()


def _serve(connection: Connection, store_path: str, offline: bool) -> None:
    try:
        store = ox.Store.read_only(store_path)
        scopes = scopes_of(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    except OSError as error:
        connection.send(("failed", str(error)))
        return
    connection.send(("ready", offline))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            answer = job.run_local(store, scopes)
        except MemoryError:
            answer = QueryAnswer("too-large", message="The query needed more memory than this endpoint allows; make it more selective.")
        connection.send(answer)


# -- admission ------------------------------------------------------------------------------


class Busy(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Admission:
    """Who may start a read now (see the module's docstring)."""

    def __init__(self, slots: int, per_client: int = 2, queue_wait: float = 5.0):
        self.slots = slots
        self.per_client = max(1, per_client)
        self.queue_wait = queue_wait
        self.running: Counter[str] = Counter()
        self.waiting: Counter[str] = Counter()
        self._changed: asyncio.Condition | None = None
        self.refused = 0

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _may_start(self, client: str) -> bool:
        busy = sum(self.running.values())
        if busy >= self.slots:
            return False
        return busy < self.slots - 1 or self.running[client] == 0 or self.slots == 1

    async def enter(self, client: str) -> None:
        if self.running[client] + self.waiting[client] >= self.per_client:
            self.refused += 1
            raise Busy(
                f"You already have {self.per_client} queries running or waiting on this endpoint; wait for them to finish.", 2
            )
        condition = self._condition()
        self.waiting[client] += 1
        try:
            async with condition:
                try:
                    await asyncio.wait_for(condition.wait_for(lambda: self._may_start(client)), self.queue_wait)
                except asyncio.TimeoutError:
                    self.refused += 1
                    raise Busy("All query workers are busy; try again in a moment.", max(1, int(self.queue_wait))) from None
                self.running[client] += 1
        finally:
            self.waiting[client] -= 1
            if not self.waiting[client]:
                del self.waiting[client]

    async def leave(self, client: str) -> None:
        condition = self._condition()
        async with condition:
            self.running[client] -= 1
            if self.running[client] <= 0:
                del self.running[client]
            condition.notify_all()


# -- the pool, in the server ----------------------------------------------------------------


@dataclass
class _Worker:
    process: Any
    connection: Connection
    store_path: str
    offline: bool = False
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


Disconnected = Callable[[], Awaitable[bool]]


class QueryPool:
    """``workers`` processes on the store at ``store_path``; ``run`` gives each read ``timeout`` seconds."""

    def __init__(self, store_path: Path, workers: int = 2, timeout: float = 20.0, memory_megabytes: int = 2048,
                 queue_wait: float = 5.0, per_client: int = 2):
        self.context = multiprocessing.get_context("spawn")
        self.store_path = str(store_path)
        self.timeout = timeout
        self.memory_megabytes = memory_megabytes
        self.size = max(1, workers)
        self.admission = Admission(self.size, per_client, queue_wait)
        self._idle: asyncio.Queue[_Worker] | None = None
        self.killed = 0
        self.offline = False

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.store_path, self.memory_megabytes, os.getpid()), daemon=True, name="sparql-worker"
        )
        process.start()
        child.close()
        worker = _Worker(process, parent, self.store_path)
        if parent.poll(60):
            try:
                state, detail = parent.recv()
            except EOFError:
                state, detail = "failed", "the worker stopped while starting"
            if state == "ready":
                worker.offline = self.offline = bool(detail)
        return worker

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(loop.run_in_executor(None, self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def run(self, job: Job, client: str = "", disconnected: Disconnected | None = None) -> QueryAnswer:
        assert self._idle is not None, "call start() first"
        try:
            await self.admission.enter(client)
        except Busy as busy:
            return QueryAnswer("busy", message=busy.message, retry_after=busy.retry_after)
        try:
            return await self._run(job, disconnected)
        finally:
            await self.admission.leave(client)

    async def _run(self, job: Job, disconnected: Disconnected | None) -> QueryAnswer:
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        worker = await self._idle.get()
        if worker.store_path != self.store_path or not worker.process.is_alive():
            await loop.run_in_executor(None, worker.stop, not worker.process.is_alive())
            worker = await loop.run_in_executor(None, self._spawn)
        try:
            await loop.run_in_executor(None, worker.connection.send, job)
            outcome = await _wait_for_answer(worker.connection, self.timeout, disconnected)
            if outcome != "ready":
                self.killed += 1
                await loop.run_in_executor(None, worker.stop, True)
                worker = await loop.run_in_executor(None, self._spawn)
                if outcome == "gone":
                    return QueryAnswer("gone", message="The client went away; the query was stopped.")
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
            return QueryAnswer(
                "too-large",
                message="The query stopped the worker that ran it: it needed more memory than this endpoint allows. Make it more selective.",
            )
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


async def _wait_for_answer(connection: Connection, timeout: float, disconnected: Disconnected | None) -> str:
    """"ready" when the worker has answered, "timeout" at the time limit, "gone" when the client left first."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = connection.fileno()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(True))
    deadline = loop.time() + timeout
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "timeout"
            try:
                await asyncio.wait_for(asyncio.shield(ready), min(remaining, 0.5))
                return "ready"
            except asyncio.TimeoutError:
                if disconnected is not None and await disconnected():
                    return "gone"
    finally:
        loop.remove_reader(fd)
        if not ready.done():
            ready.cancel()


class RemoteQueryRunner:
    """Reads for a catalogue kept on a remote SPARQL server: sent there with the same dataset, limits and formats.

    The time limit is enforced on the request; the server's own query timeout (Oxigraph ``--timeout-s``,
    Virtuoso ``MaxQueryExecutionTime``) should be set too, so an abandoned query also stops there.
    """

    offline = False  # the remote server decides what it may reach

    def __init__(self, store, workers: int = 2, timeout: float = 20.0, queue_wait: float = 5.0, per_client: int = 2):
        self.store = store
        self.timeout = timeout
        self.size = max(1, workers)
        self.admission = Admission(self.size, per_client, queue_wait)
        self.killed = 0  # queries abandoned at the time limit

    async def start(self) -> None:
        pass

    async def run(self, job: Job, client: str = "", disconnected: Disconnected | None = None) -> QueryAnswer:
        try:
            await self.admission.enter(client)
        except Busy as busy:
            return QueryAnswer("busy", message=busy.message, retry_after=busy.retry_after)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, job.run_remote, self)
        finally:
            await self.admission.leave(client)

    def execute_query(self, job: QueryJob) -> QueryAnswer:
        started = time.perf_counter()
        named = job.named_graphs
        if job.default_graphs is not None:
            default = job.default_graphs
        elif job.names_dataset:
            default = []  # the query's own FROM / FROM NAMED: protocol parameters would override them
        else:
            scopes = scopes_of(self.store.graphs())
            default = scopes.public
            if named is None:
                # Without named-graph-uri a server chooses: Oxigraph server then has no named graphs at all,
                # Virtuoso shows every graph it holds. The catalogue's own graphs are its named graphs.
                named = scopes.public + scopes.provenance + scopes.quarantine
        try:
            answer = self.store.client.query(with_prologue(job.query, job.base_iri), default or None, named, timeout=self.timeout)
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
