"""The catalogue store on a remote SPARQL 1.1 server (Oxigraph server, Virtuoso, Fuseki, GraphDB, QLever, Neptune …).

Selected in catalogue.toml::

    [store]
    backend = "sparql"
    query_url = "http://127.0.0.1:7878/query"
    update_url = "http://127.0.0.1:7878/update"
    graph_store_url = "http://127.0.0.1:7878/store"   # optional: faster whole-graph reads
    user_env = "CATALOGUE_STORE_USER"                # names of environment variables,
    password_env = "CATALOGUE_STORE_PASSWORD"        # never the secrets themselves
    auth = "basic"                                   # or "digest" (Virtuoso's /sparql-auth)
    timeout = 60                                     # seconds per request
    retries = 3                                      # for requests that are safe to repeat
    batch_triples = 20000                            # triples per request when a change is large

Only the SPARQL 1.1 protocols are used: Query, Update, and (when configured)
the Graph Store HTTP Protocol for reading whole graphs.

Atomic writes. A change to one source (its offers, records and quarantine
graphs together) is sent as a single update request when it has at most
``batch_triples`` triples: ``DELETE DATA`` and ``INSERT DATA`` for every
graph, which the servers above run as one transaction. A larger change is
staged: the new content of each graph is loaded, in batches, into a staging
graph that no query sees, and one final request moves every staging graph
onto its target (``MOVE``), so readers see the old or the new source, never a
mix. A failure while staging drops the staging graphs and leaves the source as
it was. Batches of ``DELETE DATA``/``INSERT DATA`` are idempotent and are
retried; the final switch is retried only after checking that it did not
already happen.

Graph registry. Listing named graphs is slow or impossible on some servers
(Virtuoso keeps system graphs; a scan of every graph over millions of triples
is costly), so the store lists the graphs it wrote in a small registry graph
(``BASE/graph/registry``), updated in the same request as the graphs.

Reading whole graphs goes through the Graph Store Protocol when a
``graph_store_url`` is configured, else through pages of a ``CONSTRUCT``
query sized below the server's row limit (``page_triples``, default 9,000,
below Virtuoso's default ``ResultSetMaxRows`` of 10,000). A result that meets that
limit is flagged by Virtuoso (``X-SPARQL-MaxRows``) and is an error here, never
read as a smaller catalogue.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from catalogue.errors import ConfigError, StoreError
from catalogue.iris import graph_iri
from catalogue.namespaces import MCC, PREFIXES

from .base import CatalogueStore, Change, GraphWrite, QuerySolutions
from .sparql_text import data_block, uses

SD_NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#NamedGraph"
MCC_DIGEST = MCC + "statementsDigest"
MCC_STALE = MCC + "StaleSubject"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
GRAPH_LIST_SECONDS = 2.0
SOLUTION_TYPES = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
GRAPH_TYPES = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
RETRY_STATUS = {429, 502, 503, 504}
GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


class SparqlClient:
    """SPARQL 1.1 Query, Update and Graph Store requests with explicit timeouts, retries and credentials."""

    def __init__(
        self,
        query_url: str,
        update_url: str = "",
        graph_store_url: str = "",
        auth: Any = None,
        timeout: float = 60.0,
        retries: int = 3,
    ):
        self.query_url = query_url
        self.update_url = update_url
        self.graph_store_url = graph_store_url
        self.timeout = timeout
        self.retries = max(0, retries)
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers["User-Agent"] = "mc-catalogue (+https://w3id.org/mc-catalogue)"

    # -- queries ------------------------------------------------------------------------

    def query(
        self,
        text: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> QuerySolutions:
        """SELECT and ASK give pyoxigraph query solutions or a boolean; CONSTRUCT and DESCRIBE give triples."""
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", g) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        accept = GRAPH_TYPES if uses(text, "CONSTRUCT") or uses(text, "DESCRIBE") else SOLUTION_TYPES
        response = self._send(
            "POST", self.query_url, data=form, headers={"Accept": accept}, timeout=timeout, what="query", repeatable=True
        )
        media = _media(response)
        content = response.content
        if response.headers.get("X-SPARQL-MaxRows"):
            # Virtuoso's sign that it cut the result at its ResultSetMaxRows: a partial answer read as whole would lose offers.
            raise StoreError(
                f"The SPARQL server at {self.query_url} cut a result at {response.headers['X-SPARQL-MaxRows']} rows "
                "(its ResultSetMaxRows), so the answer is incomplete. Raise that limit on the server, or set "
                "[store] page_triples below it."
            )
        if "virtuoso" in response.headers.get("Server", "").lower():
            content = repair_virtuoso_literals(content)
        try:
            if media in RESULT_FORMATS:
                return ox.parse_query_results(content, format=RESULT_FORMATS[media])
            if media in GRAPH_FORMATS:
                return _Triples(ox.parse(content, format=GRAPH_FORMATS[media]))
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"The SPARQL server at {self.query_url} sent an answer that cannot be read ({media}): {error}") from None
        raise StoreError(f"The SPARQL server at {self.query_url} answered in an unexpected format: {media or 'no content type'}.")

    def update(self, text: str, repeatable: bool = True) -> None:
        if not self.update_url:
            raise StoreError("The store has no update_url configured, so it cannot be written to.")
        self._send(
            "POST",
            self.update_url,
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            what="update",
            repeatable=repeatable,
        )

    def post_graph(self, graph: str, triples: list[ox.Triple]) -> None:
        """Add triples to a graph through the Graph Store Protocol (no SPARQL parsing on the server: big batches)."""
        body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples).encode("utf-8")
        self._send(
            "POST", self.graph_store_url, params={"graph": graph}, data=body,
            headers={"Content-Type": "text/turtle; charset=utf-8"}, what="graph load", repeatable=False,
        )

    def graph(self, graph: str) -> Iterator[ox.Triple]:
        """A whole graph through the Graph Store Protocol, parsed as it streams in."""
        response = self._send(
            "GET",
            self.graph_store_url,
            params={"graph": graph},
            headers={"Accept": "application/n-triples, text/turtle;q=0.9"},
            what="graph read",
            repeatable=True,
            stream=True,
            missing_ok=True,
        )
        if response.status_code == 404:
            response.close()
            return
        media = _media(response) or "application/n-triples"
        response.raw.decode_content = True
        try:
            for triple in ox.parse(response.raw, format=GRAPH_FORMATS.get(media, ox.RdfFormat.N_TRIPLES)):
                yield triple if isinstance(triple, ox.Triple) else triple.triple
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"The graph <{graph}> read from {self.graph_store_url} cannot be parsed: {error}") from None
        finally:
            response.close()

    # -- transport ----------------------------------------------------------------------

    def _send(self, method: str, url: str, *, what: str, repeatable: bool, timeout: float | None = None,
              missing_ok: bool = False, **kwargs) -> requests.Response:
        attempts = self.retries + 1 if repeatable else 1
        delay = 0.5
        for attempt in range(1, attempts + 1):
            try:
                response = self.session.request(method, url, timeout=(min(10.0, self.timeout), timeout or self.timeout), **kwargs)
            except requests.Timeout:
                if attempt == attempts:
                    raise StoreError(
                        f"The SPARQL server at {url} did not answer the {what} within {timeout or self.timeout:g} seconds "
                        f"({attempts} attempt{'s' if attempts > 1 else ''}). Raise [store] timeout, or check the server."
                    ) from None
            except requests.ConnectionError as error:
                if attempt == attempts:
                    raise StoreError(f"The SPARQL server at {url} cannot be reached: {_reason(error)}. Is it running?") from None
            else:
                if response.status_code < 300 or (missing_ok and response.status_code == 404):
                    return response
                if response.status_code in (401, 403):
                    raise StoreError(
                        f"The SPARQL server at {url} refused the {what} ({response.status_code}): check the credentials in the "
                        "environment variables named by [store] user_env and password_env, and the account's rights."
                    )
                if response.status_code not in RETRY_STATUS or attempt == attempts:
                    raise StoreError(
                        f"The SPARQL server at {url} rejected the {what} with HTTP {response.status_code}: {_excerpt(response)}"
                    )
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = min(30.0, float(retry_after))
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.session.close()


class RemoteStore(CatalogueStore):
    def __init__(self, client: SparqlClient, base: str, batch_triples: int = 20_000, page_triples: int = 9_000,
                 load_triples: int = 100_000, graph_store_reads: bool = False):
        super().__init__(base)
        self.client = client
        self.graph_store_reads = graph_store_reads and bool(client.graph_store_url)
        self._graph_list: tuple[float, list[str]] | None = None
        self.batch_triples = max(10, batch_triples)  # per update request
        self.page_triples = max(100, page_triples)  # per page of a paged read
        self.load_triples = max(100, load_triples)  # per Graph Store Protocol POST when staging

    @classmethod
    def from_config(cls, config) -> RemoteStore:
        settings = config.store
        if not settings.query_url:
            raise ConfigError("A 'sparql' store needs [store] query_url (and update_url to write).")
        return cls(
            SparqlClient(
                settings.query_url,
                settings.update_url,
                settings.graph_store_url,
                auth=credentials(settings),
                timeout=settings.timeout,
                retries=settings.retries,
            ),
            config.base,
            batch_triples=settings.batch_triples,
            page_triples=settings.page_triples,
            load_triples=settings.load_triples,
            graph_store_reads=settings.graph_store_reads,
        )

    @property
    def registry_graph(self) -> str:
        return graph_iri(self.base, "registry")

    # -- reading -----------------------------------------------------------------------

    def graphs(self) -> list[str]:
        # Asked before nearly every query (the public view); other processes may write, so only briefly cached.
        if self._graph_list is not None and time.monotonic() - self._graph_list[0] < GRAPH_LIST_SECONDS:
            return list(self._graph_list[1])
        rows = self._keyed_pages("?g", f"GRAPH <{self.registry_graph}> {{ ?g a <{SD_NAMED_GRAPH}> }}")
        graphs = sorted(row["g"].value for row in rows)
        self._graph_list = (time.monotonic(), graphs)
        return list(graphs)

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        if self.graph_store_reads:
            yield from self.client.graph(graph)
            return
        subjects = [row["s"].value for row in self._keyed_pages("?s", f"GRAPH <{self.digest_graph(graph)}> {{ ?s <{MCC_DIGEST}> ?d }}")]
        if subjects:
            # The digests list the graph's subjects: fetch them a batch at a time (index lookups, no sorting).
            yield from self._triples_of(graph, subjects)
            return
        yield from self._triples_by_subject_order(graph)

    def subjects_triples(self, graph: str, subjects: list[str]) -> Iterator[ox.Triple]:
        yield from self._triples_of(graph, subjects)

    def _triples_of(self, graph: str, subjects: list[str], batch: int = 200) -> Iterator[ox.Triple]:
        start = 0
        while start < len(subjects):
            chunk = subjects[start:start + batch]
            values = " ".join(f"<{subject}>" for subject in chunk)
            rows = list(self.client.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}"))  # type: ignore[arg-type]
            if len(rows) >= self.page_triples and batch > 1:
                # A batch of subjects with very many statements: ask for fewer at a time.
                yield from self._triples_of(graph, chunk, max(1, batch // 4))
            else:
                for row in rows:
                    yield ox.Triple(row["s"], row["p"], row["o"])
            start += batch

    def _triples_by_subject_order(self, graph: str) -> Iterator[ox.Triple]:
        # Pages of whole subjects after the last subject seen, each below the server's row limit.
        last: str | None = None
        while True:
            after = f"FILTER(STR(?s) > {_string(last)})" if last is not None else ""
            rows = list(self.client.query(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} {after} }} ORDER BY (STR(?s)) LIMIT {self.page_triples}",
            ))  # type: ignore[arg-type]
            full = len(rows) == self.page_triples
            if full:
                # The last subject may go on in the next page: leave it for that page.
                cut = rows[-1]["s"].value
                rows = [row for row in rows if row["s"].value != cut]
                if not rows:
                    raise StoreError(f"<{cut}> in <{graph}> has more than {self.page_triples} statements; raise [store] page_triples.")
            for row in rows:
                yield ox.Triple(row["s"], row["p"], row["o"])
            if not full:
                return
            last = rows[-1]["s"].value

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: bool = True,
    ) -> QuerySolutions:
        graphs = self.public_graphs() if default_graphs is None else default_graphs
        return self.client.query(_with_prefixes(sparql) if prefixes else sparql, graphs or None, named_graphs)

    # -- writing -----------------------------------------------------------------------

    def write(self, writes: list[GraphWrite]) -> Change:
        """Apply every write in ``writes`` as one atomic change (see the module's description)."""
        started = time.perf_counter()
        plan = _Plan(graph_iri(self.base, "staging", uuid.uuid4().hex) + "/")
        for item in writes:
            if item.triples is not None:
                self._plan_replacement(plan, item.graph, item.triples)
            else:
                plan.patch(item.graph, item.remove or [], item.add or [])
        if not plan.empty:
            self._execute(plan)
        return Change(plan.removed, plan.added, time.perf_counter() - started)

    def _apply(self, removals, additions, emptied) -> None:  # pragma: no cover - write() is overridden
        raise NotImplementedError

    def digest_graph(self, graph: str) -> str:
        return graph_iri(self.base, "digest", hashlib.sha1(graph.encode("utf-8")).hexdigest()[:24])

    def _digests(self, graph: str) -> dict[str, tuple[str, int]]:
        """subject -> (digest, number of statements), as written last time."""
        found: dict[str, tuple[str, int]] = {}
        for row in self._keyed_pages("?s ?d", f"GRAPH <{self.digest_graph(graph)}> {{ ?s <{MCC_DIGEST}> ?d }}"):
            digest, _, count = row["d"].value.partition(":")
            found[row["s"].value] = (digest, int(count or 0))
        return found

    def _plan_replacement(self, plan: _Plan, graph: str, triples: list[ox.Triple]) -> None:
        by_subject: dict[str, list[ox.Triple]] = {}
        for triple in dict.fromkeys(triples):
            if isinstance(triple.subject, ox.BlankNode):
                raise StoreError(
                    f"A blank node in <{graph}> cannot be written to a remote store: the catalogue skolemises offers "
                    "before storing them, so this is a bug; please report it."
                )
            by_subject.setdefault(triple.subject.value, []).append(triple)
        new = {subject: (_digest(group), len(group)) for subject, group in by_subject.items()}
        old = self._digests(graph)
        stale = [s for s, value in old.items() if new.get(s, (None,))[0] != value[0]]
        fresh = [s for s, value in new.items() if old.get(s, (None,))[0] != value[0]]
        if not stale and not fresh:
            return
        plan.replace(graph, self.digest_graph(graph), stale, [t for s in fresh for t in by_subject[s]],
                     [ox.Triple(ox.NamedNode(s), ox.NamedNode(MCC_DIGEST), ox.Literal(f"{new[s][0]}:{new[s][1]}")) for s in fresh],
                     removed=sum(old[s][1] for s in stale), emptied=not new)

    def _execute(self, plan: _Plan) -> None:
        """Stage everything in graphs no query sees, then switch it in with one request."""
        try:
            for graph, triples in plan.uploads():
                for start in range(0, len(triples), self._load_size):
                    self._load(graph, triples[start:start + self._load_size])
            self.client.update(plan.switch(self.registry_graph), repeatable=True)
        except BaseException:
            for graph in plan.staging_graphs():
                try:
                    self.client.update(f"DROP SILENT GRAPH <{graph}>")
                except StoreError:
                    pass
            raise
        self._graph_list = None

    @property
    def _load_size(self) -> int:
        return self.load_triples if self.client.graph_store_url else self.batch_triples

    def _load(self, graph: str, triples: list[ox.Triple]) -> None:
        if self.client.graph_store_url:
            self.client.post_graph(graph, triples)
        else:
            self.client.update(data_block("INSERT", graph, triples))

    def drop_graph(self, graph: str) -> None:
        self.client.update(
            f"DROP SILENT GRAPH <{graph}> ;\nDROP SILENT GRAPH <{self.digest_graph(graph)}> ;\n"
            f"DELETE DATA {{ GRAPH <{self.registry_graph}> {{ <{graph}> a <{SD_NAMED_GRAPH}> }} }}"
        )
        self._graph_list = None

    def every_row(self, variables: str, pattern: str) -> Iterator:
        return self._keyed_pages(variables, pattern)

    def _keyed_pages(self, variables: str, pattern: str) -> Iterator:
        """Rows of ``SELECT variables WHERE { pattern }`` whose first variable is unique, in pages after the last key seen.

        Paging by key rather than OFFSET: servers limit how far a sorted result may be skipped (Virtuoso: 10,000 rows).
        """
        key = variables.split()[0]
        last: str | None = None
        while True:
            after = f"FILTER(STR({key}) > {_string(last)})" if last is not None else ""
            page = list(self.client.query(_with_prefixes(
                f"SELECT {variables} WHERE {{ {pattern} {after} }} ORDER BY (STR({key})) LIMIT {self.page_triples}"
            )))  # type: ignore[arg-type]
            yield from page
            if len(page) < self.page_triples:
                return
            last = page[-1][key[1:]].value

    def close(self) -> None:
        self.client.close()


class _Plan:
    """What one atomic write stages and then switches in."""

    def __init__(self, staging: str):
        self.staging = staging
        self.removed = 0
        self.added = 0
        self._replacements: list[tuple[str, str, list[str], list[ox.Triple], list[ox.Triple], bool]] = []
        self._patches: list[tuple[str, list[ox.Triple], list[ox.Triple]]] = []

    @property
    def empty(self) -> bool:
        return not self._replacements and not self._patches

    def replace(self, graph: str, digests: str, stale: list[str], triples: list[ox.Triple], digest_triples: list[ox.Triple],
                removed: int, emptied: bool) -> None:
        self._replacements.append((graph, digests, stale, triples, digest_triples, emptied))
        self.removed += removed
        self.added += len(triples)

    def patch(self, graph: str, remove: list[ox.Triple], add: list[ox.Triple]) -> None:
        if remove or add:
            self._patches.append((graph, list(remove), list(add)))
            self.removed += len(remove)
            self.added += len(add)

    def _names(self, index: int) -> tuple[str, str, str]:
        return f"{self.staging}{index}/stale", f"{self.staging}{index}/add", f"{self.staging}{index}/digests"

    def uploads(self) -> Iterator[tuple[str, list[ox.Triple]]]:
        for index, (_graph, _digests, stale, triples, digest_triples, _emptied) in enumerate(self._replacements):
            stale_graph, add_graph, digest_graph = self._names(index)
            if stale:
                yield stale_graph, [ox.Triple(ox.NamedNode(s), ox.NamedNode(RDF_TYPE), ox.NamedNode(MCC_STALE)) for s in stale]
            if triples:
                yield add_graph, triples
            if digest_triples:
                yield digest_graph, digest_triples
        for index, (_graph, _remove, add) in enumerate(self._patches, start=len(self._replacements)):
            if add:
                yield self._names(index)[1], add

    def staging_graphs(self) -> list[str]:
        return [name for index in range(len(self._replacements) + len(self._patches)) for name in self._names(index)]

    def switch(self, registry: str) -> str:
        """One request; safe to repeat: it deletes through the stale lists and adds from staging, then drops both."""
        operations: list[str] = []
        for index, (graph, digests, stale, triples, digest_triples, emptied) in enumerate(self._replacements):
            stale_graph, add_graph, digest_graph = self._names(index)
            if stale:
                operations.append(
                    f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{stale_graph}> {{ ?s a <{MCC_STALE}> }} GRAPH <{graph}> {{ ?s ?p ?o }} }}"
                )
                operations.append(
                    f"DELETE {{ GRAPH <{digests}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{stale_graph}> {{ ?s a <{MCC_STALE}> }} GRAPH <{digests}> {{ ?s ?p ?o }} }}"
                )
            if triples:
                operations.append(f"ADD SILENT GRAPH <{add_graph}> TO GRAPH <{graph}>")
                operations.append(f"ADD SILENT GRAPH <{digest_graph}> TO GRAPH <{digests}>")
                operations.append(f"INSERT DATA {{ GRAPH <{registry}> {{ <{graph}> a <{SD_NAMED_GRAPH}> }} }}")
            elif emptied:
                operations.append(f"DROP SILENT GRAPH <{graph}>")
                operations.append(f"DROP SILENT GRAPH <{digests}>")
                operations.append(f"DELETE DATA {{ GRAPH <{registry}> {{ <{graph}> a <{SD_NAMED_GRAPH}> }} }}")
        for index, (graph, remove, add) in enumerate(self._patches, start=len(self._replacements)):
            if remove:
                operations.append(data_block("DELETE", graph, remove))
            if add:
                operations.append(f"ADD SILENT GRAPH <{self._names(index)[1]}> TO GRAPH <{graph}>")
                operations.append(f"INSERT DATA {{ GRAPH <{registry}> {{ <{graph}> a <{SD_NAMED_GRAPH}> }} }}")
        # The stale lists go first: if this request is repeated after it succeeded, nothing is deleted twice.
        count = len(self._replacements) + len(self._patches)
        operations += [f"DROP SILENT GRAPH <{self._names(i)[0]}>" for i in range(count)]
        operations += [f"DROP SILENT GRAPH <{name}>" for i in range(count) for name in self._names(i)[1:]]
        return " ;\n".join(operations)


def _digest(triples: list[ox.Triple]) -> str:
    lines = sorted(f"{t.predicate} {t.object}" for t in triples)
    return hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()


def credentials(settings) -> Any:
    """Basic or digest credentials from the environment variables the configuration names."""
    if not settings.user_env and not settings.password_env:
        return None
    user = os.environ.get(settings.user_env, "") if settings.user_env else ""
    password = os.environ.get(settings.password_env, "") if settings.password_env else ""
    missing = [name for name, value in ((settings.user_env, user), (settings.password_env, password)) if name and not value]
    if missing:
        raise ConfigError(f"The store's credentials are read from the environment, but {', '.join(missing)} is not set.")
    if settings.auth == "digest":
        return HTTPDigestAuth(user, password)
    return HTTPBasicAuth(user, password)


class _Triples:
    """CONSTRUCT/DESCRIBE results from a remote server, iterable like pyoxigraph's QueryTriples."""

    def __init__(self, parsed: Iterator):
        self._items = (t if isinstance(t, ox.Triple) else t.triple for t in parsed)

    def __iter__(self) -> Iterator[ox.Triple]:
        return self._items


_VIRTUOSO_JSON_DURATION = re.compile(
    rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#duration"\s*,\s*"value"\s*:\s*")([-+0-9.eE]+)(")'
)
_VIRTUOSO_JSON_BOOLEAN = re.compile(
    rb'("datatype"\s*:\s*"http://www\.w3\.org/2001/XMLSchema#boolean"\s*,\s*"value"\s*:\s*")([01])(")'
)
_VIRTUOSO_NT_DURATION = re.compile(rb'"([-+0-9.eE]+)"(\^\^<http://www\.w3\.org/2001/XMLSchema#duration>)')


def repair_virtuoso_literals(content: bytes) -> bytes:
    """Virtuoso 7 answers booleans as 1 and 0 in JSON results, and keeps day-time xsd:duration values as a number of
    seconds ("1.44e+06" for PT400H); give both back in their lexical forms."""

    def duration(seconds: bytes) -> bytes:
        value = float(seconds)
        sign, value = ("-" if value < 0 else ""), abs(value)
        for unit, size in (("H", 3600), ("M", 60)):
            if value >= size and value % size == 0:
                return f"{sign}PT{int(value // size)}{unit}".encode()
        return f"{sign}PT{value:g}S".encode()

    content = _VIRTUOSO_JSON_BOOLEAN.sub(lambda m: m.group(1) + (b"true" if m.group(2) == b"1" else b"false") + m.group(3), content)
    content = _VIRTUOSO_JSON_DURATION.sub(lambda m: m.group(1) + duration(m.group(2)) + m.group(3), content)
    return _VIRTUOSO_NT_DURATION.sub(lambda m: b'"' + duration(m.group(1)) + b'"' + m.group(2), content)


def _string(value: str | None) -> str:
    """A SPARQL string literal for ``value``."""
    escaped = (value or "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def with_prologue(sparql: str, base_iri: str | None = None) -> str:
    """The catalogue's usual prefixes (and a base IRI) in front of a query that does not declare them itself."""
    text = _with_prefixes(sparql)
    if base_iri and not re.search(r"(?im)^\s*BASE\s*<", sparql):
        text = f"BASE <{base_iri}>\n{text}"
    return text


def _with_prefixes(sparql: str) -> str:
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", sparql)}
    lines = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if name.lower() not in declared]
    return "\n".join(lines + [sparql])


def _media(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _excerpt(response: requests.Response) -> str:
    text = re.sub(r"\s+", " ", response.text[:400]).strip()
    return text or response.reason or "no explanation given"


def _reason(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name is unknown"
    return text.split(":")[-1].strip(" ')>") or type(error).__name__
