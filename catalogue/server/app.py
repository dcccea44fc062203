"""The HTTP server: settings, the published generation it serves, and the FastAPI application.

``catalogue serve`` starts it (uvicorn) on 127.0.0.1:8000. It serves the
newest published generation (see ``catalogue.publish.generations``) read-only and
moves to a newer one when a harvest publishes it. Routes live in their own
modules: ``endpoint`` (SPARQL), ``linked_data`` (dereferencing), ``feed``
(change feed), ``search_api``, ``validation_service``; this module wires them,
adds CORS, request-size limits and request logging, and serves the static
site when it has been built.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from catalogue import __version__
from catalogue.config import Config
from catalogue.errors import ConfigError
from catalogue.harvest.state import HarvestState
from catalogue.publish.generations import Generation, current_generation
from catalogue.publish.search_index import SearchIndex
from catalogue.store.base import CatalogueStore
from catalogue.store.factory import open_store
from catalogue.store.oxigraph import OxigraphStore

from . import endpoint, feed, linked_data, search_api, status, validation_service
from .answer_cache import AnswerCache
from .negotiation import prefers_html
from .pages import LANGUAGES, PageRenderer, reader_language
from .query_pool import QueryAnswer, QueryPool, RemoteQueryRunner
from .request_guard import RequestGuard
from .resource_reads import scopes_of

log = logging.getLogger("catalogue.server")

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout: float = 20.0
    max_rows: int = 100_000
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    workers: int = 4
    worker_memory_megabytes: int = 2048
    max_queries_per_client: int = 2  # reads one client may have waiting or running at once
    queue_wait: float = 5.0  # seconds a read waits for a free worker before "busy" (503)
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For names the client
    allow_updates: bool = False  # only for conformance testing, on loopback
    validate_allowed_hosts: tuple[str, ...] = ()  # addresses the validation service may fetch despite being private
    site_dir: Path | None = None

    @classmethod
    def from_config(cls, config: Config, **overrides) -> ServerSettings:
        section = dict(config.server)
        section.update({k: v for k, v in overrides.items() if v is not None})
        site = section.get("site_dir")
        settings = cls(
            host=str(section.get("host", cls.host)),
            port=int(section.get("port", cls.port)),
            query_timeout=float(section.get("query_timeout", cls.query_timeout)),
            max_rows=int(section.get("max_rows", cls.max_rows)),
            max_request_bytes=int(section.get("max_request_bytes", cls.max_request_bytes)),
            max_upload_bytes=int(section.get("max_upload_bytes", cls.max_upload_bytes)),
            workers=int(section.get("workers", cls.workers)),
            worker_memory_megabytes=int(section.get("worker_memory_megabytes", cls.worker_memory_megabytes)),
            max_queries_per_client=int(section.get("max_queries_per_client", cls.max_queries_per_client)),
            queue_wait=float(section.get("queue_wait", cls.queue_wait)),
            trusted_proxies=tuple(section.get("trusted_proxies", ())),
            allow_updates=bool(section.get("allow_updates", False)),
            validate_allowed_hosts=tuple(section.get("validate_allowed_hosts", ())),
            site_dir=Path(site) if site else config.data_dir / "site",
        )
        if settings.allow_updates and settings.host not in LOOPBACK:
            raise ConfigError("SPARQL Update may only be switched on for a server bound to loopback (127.0.0.1), for conformance tests.")
        return settings


@dataclass
class Published:
    """What the server currently serves."""

    generation: Generation | None = None
    meta: dict = field(default_factory=dict)
    search: SearchIndex | None = None


class CatalogueServer:
    def __init__(self, config: Config, settings: ServerSettings, update_store: OxigraphStore | None = None):
        self.config = config
        self.settings = settings
        self.update_store = update_store  # conformance-test mode: an in-memory store that accepts updates
        self.published = Published()
        self.pool: QueryPool | RemoteQueryRunner | None = None
        self.state = HarvestState(config.data_dir / "state.sqlite") if update_store is None else HarvestState(None)
        self._checked = 0.0
        self.started = time.time()
        self.requests = 0
        self.errors = 0
        self._remote_store = None  # the SPARQL server, when the catalogue is kept on one
        self.answers = AnswerCache()

    async def start(self) -> None:
        self.refresh(force=True)
        if self.update_store is None and self.published.generation is not None:
            if self.published.generation.has_snapshot:
                self.pool = QueryPool(
                    self.published.generation.store_path,
                    workers=self.settings.workers,
                    timeout=self.settings.query_timeout,
                    memory_megabytes=self.settings.worker_memory_megabytes,
                    queue_wait=self.settings.queue_wait,
                    per_client=self.settings.max_queries_per_client,
                )
            else:
                self.pool = RemoteQueryRunner(
                    self._remote(), workers=self.settings.workers, timeout=self.settings.query_timeout,
                    queue_wait=self.settings.queue_wait, per_client=self.settings.max_queries_per_client,
                )
            await self.pool.start()

    def _remote(self):
        if self._remote_store is None:
            self._remote_store = open_store(self.config)
        return self._remote_store

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self._remote_store is not None:
            self._remote_store.close()
        if self.published.search is not None:
            self.published.search.close()
        self.state.close()

    async def read(self, job, request: Request):
        """Run a read of the published store (a SPARQL query or one resource) in a query worker, for this request's client."""
        if self.update_store is not None:
            store = self.update_store.store
            return job.run_local(store, scopes_of(g.value for g in store.named_graphs() if hasattr(g, "value")))
        if self.refresh().generation is None:
            return QueryAnswer("busy", message="Nothing has been published yet: run catalogue harvest (or load), then try again.", retry_after=60)
        if self.pool is None:
            await self.start()
        return await self.pool.run(job, self.client_of(request), request.is_disconnected)

    def client_of(self, request: Request) -> str:
        """Who is asking, for per-client limits: the peer address, or the address a trusted proxy forwarded."""
        peer = request.client.host if request.client else ""
        if peer in self.settings.trusted_proxies:
            forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
            for address in reversed(forwarded):
                if address not in self.settings.trusted_proxies:
                    return address
        return peer

    def refresh(self, force: bool = False) -> Published:
        """Move to a newer published generation if there is one (checked at most once a second)."""
        now = time.monotonic()
        if not force and now - self._checked < 1.0:
            return self.published
        self._checked = now
        if self.update_store is not None:
            return self.published
        generation = current_generation(self.config)
        if generation is None or (self.published.generation and generation.id == self.published.generation.id):
            return self.published
        old = self.published.search
        search = SearchIndex(generation.search_path) if generation.search_path.exists() else None
        self.published = Published(generation, generation.meta, search)
        if self.pool is not None and generation.has_snapshot:
            self.pool.switch(generation.store_path)
        if old is not None:
            old.close()
        log.info("serving generation %s (%s offers)", generation.id, self.published.meta.get("offers"))
        return self.published

    def local_store(self) -> CatalogueStore | None:
        """A read-only view of the published store, for small lookups done in the server process."""
        if self.update_store is not None:
            return self.update_store
        generation = self.refresh().generation
        if generation is None:
            return None
        if not generation.has_snapshot:
            return self._remote()
        return _read_only(generation, self.config.base)


_OPEN: dict[str, OxigraphStore] = {}


def _read_only(generation: Generation, base: str) -> OxigraphStore:
    store = _OPEN.get(generation.id)
    if store is None:
        for stale in list(_OPEN):
            _OPEN.pop(stale).close()
        store = _OPEN[generation.id] = OxigraphStore.open(generation.store_path, base, read_only=True)
    return store


def create_app(config: Config, settings: ServerSettings, update_store: OxigraphStore | None = None,
               pages: PageRenderer | None = None) -> FastAPI:
    """The catalogue's HTTP server. With ``pages`` (the site's renderer), it also answers the site's search page
    from the search index, with no JavaScript needed, and gives browsers HTML error pages in their language."""
    server = CatalogueServer(config, settings, update_store)
    for cached in list(_OPEN):
        _OPEN.pop(cached).close()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await server.start()
        yield
        await server.stop()

    app = FastAPI(
        title=f"{config.title} API",
        version=__version__,
        description=(
            "Search, harvest and check learning opportunities that lead to micro-credentials. "
            "SPARQL 1.1 endpoint at /sparql, dumps at /dumps/, change feed at /feed, "
            "dataset descriptions at /.well-known/void and /catalogue."
        ),
        lifespan=lifespan,
    )
    app.state.server = server

    def body_limit(path: str) -> int:
        return settings.max_upload_bytes if path.startswith("/api/validate") else settings.max_request_bytes

    app.add_middleware(RequestGuard, limit_for=body_limit, counters=server)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "Accept-Language", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Last-Modified", "Link", "Content-Location"],
        max_age=86400,
    )

    app.include_router(endpoint.router(server))
    app.include_router(status.router(server))
    app.include_router(feed.router(server))
    app.include_router(search_api.router(server))
    app.include_router(validation_service.router(server))
    app.include_router(linked_data.router(server))

    if pages is not None:
        @app.get("/{lang}/search.html", include_in_schema=False)
        def live_search(request: Request, lang: str):
            published = server.refresh()
            if lang not in LANGUAGES:
                raise StarletteHTTPException(404)
            if published.search is None:
                return HTMLResponse(pages.error(lang, 503, request.url.path), status_code=503, headers={"Retry-After": "60"})
            return HTMLResponse(pages.search(lang, request.query_params.multi_items(), published.search),
                                headers={"Cache-Control": "no-cache", "Vary": "Accept-Encoding"})

    @app.exception_handler(StarletteHTTPException)
    async def not_found_as_resource(request: Request, error: StarletteHTTPException):
        # A path no route or site file answers may be an IRI the catalogue minted (see linked_data).
        if error.status_code == 404 and request.method in ("GET", "HEAD"):
            response = await linked_data.dereference(server, request)
            if pages is not None and response.status_code in (404, 410) and prefers_html(request.headers.get("accept")):
                lang = reader_language(request.url.path, request.headers.get("accept-language"))
                withdrawn = response.withdrawn_on if isinstance(response, linked_data.Gone) else None
                return HTMLResponse(pages.error(lang, response.status_code, request.url.path, withdrawn),
                                    status_code=response.status_code, headers={"Vary": "Accept"})
            return response
        if error.status_code == 405:
            # Starlette names only the methods of the first route on the path; a path served by
            # several routes (a GET form, a POST check) must name them all in Allow.
            allowed = _methods_on(app, request.scope)
            return PlainTextResponse(f"{request.url.path} answers {', '.join(allowed)} only.", status_code=405, headers={"Allow": ", ".join(allowed)})
        return await http_exception_handler(request, error)

    @app.exception_handler(ConfigError)
    async def config_error(request: Request, error: ConfigError):
        return JSONResponse({"error": str(error)}, status_code=500)

    site = settings.site_dir
    if site is not None and (site / "index.html").exists():
        # Compressed for browsers that accept it: the search index is the largest file a reader loads.
        app.mount("/", GZipMiddleware(StaticFiles(directory=site, html=True), minimum_size=1024), name="site")
    return app


def _methods_on(app: FastAPI, scope) -> list[str]:
    methods: set[str] = set()
    for route in _routes(app.router.routes):
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return sorted(methods)


def _routes(routes):
    for route in routes:
        # FastAPI 0.16x wraps each included router (without a prefix here); older versions copy its routes in.
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route
