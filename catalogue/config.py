"""The catalogue's configuration, read from one TOML file (``catalogue.toml``).

Every value has a default, so every command works without a file: the store
lives under ``./data`` and minted IRIs start with ``http://127.0.0.1:8000/``.
Relative paths in the file are relative to the file's folder.

Credentials are never read from the file: a remote store names the
environment variables that hold them (``user_env``, ``password_env``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_CONFIG_NAME = "catalogue.toml"
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class StoreConfig:
    backend: str = "oxigraph"  # "oxigraph" (embedded) or "sparql" (a remote SPARQL 1.1 server)
    path: Path = Path("data/store")
    query_url: str = ""
    update_url: str = ""
    graph_store_url: str = ""
    user_env: str = ""
    password_env: str = ""
    timeout: float = 60.0
    batch_triples: int = 20_000  # triples per update request; larger changes are staged, then switched
    page_triples: int = 9_000  # rows per page of a paged read: below Virtuoso's default cap of 10,000, which it flags even when met exactly
    load_triples: int = 100_000  # triples per Graph Store Protocol POST when a change is staged
    graph_store_reads: bool = False  # read whole graphs with GSP GET (only where the server sends all of a graph)
    retries: int = 3
    auth: str = "basic"  # "basic" or "digest"


@dataclass(frozen=True)
class SourceConfig:
    id: str
    name: str
    harvester: str
    urls: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def _day(value, path) -> str:
    text = str(value or "")
    if text and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ConfigError(f"{path}: [catalogue] accessibility_assessed must be a date as YYYY-MM-DD, not {text!r}.")
    return text


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    title: str = "Micro-credential catalogue"
    base: str = "http://127.0.0.1:8000/"
    languages: tuple[str, ...] = ("sv", "en")
    licence: str = "https://creativecommons.org/licenses/by/4.0/"
    publisher: str = "Micro-credential catalogue"
    # Who readers reach about the catalogue (an e-mail address or a web address), and when its accessibility was
    # last assessed (YYYY-MM-DD): the Web Accessibility Directive asks a public body's statement for both.
    contact: str = ""
    accessibility_assessed: str = ""
    data_dir: Path = Path("data")
    store: StoreConfig = StoreConfig()
    validation_workers: int = 0  # 0: one per core
    validation_engine: str = "auto"  # "pyshacl", "rudof" or "auto" (see catalogue.validation.validator)
    harvest_concurrency: int = 4  # sources fetched and mapped at the same time
    # Up to this many offers the static site's search runs in the browser (Pagefind); past it the site's search
    # forms go to the server's search: Pagefind cannot change an index, and at 19,200 offers it needed 1.5 GiB and
    # most of a minute to make it again after any change (7.5 GiB and six minutes at 100,000).
    browser_search_max_offers: int = 25_000
    sources: tuple[SourceConfig, ...] = ()
    server: dict[str, Any] = field(default_factory=dict)  # the [server] table, read by catalogue.server.app

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "validation-cache.sqlite"


    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(f"No source with id '{source_id}' in the configuration (known sources: {known}).")


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path``; with ``None``, read ./catalogue.toml if it exists, else use defaults."""
    if path is None:
        default = Path(DEFAULT_CONFIG_NAME)
        if not default.exists():
            return Config()
        path = default
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Configuration file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"Configuration file {path} is not valid TOML: {error}") from None
    return _build(raw, path.resolve().parent, path)


def _build(raw: dict[str, Any], root: Path, path: Path) -> Config:
    section = _table(raw, "catalogue", path)
    base = str(section.get("base", Config.base))
    if not re.match(r"^https?://[^\s/]+/(\S*/)?$", base):
        raise ConfigError(f"{path}: [catalogue] base must be an http(s) IRI ending in '/', not {base!r}.")
    data_dir = root / section.get("data_dir", "data")
    store = _store(_table(raw, "store", path), root, data_dir, path)
    validation = _table(raw, "validation", path)
    engine = str(validation.get("engine", Config.validation_engine))
    if engine not in ("pyshacl", "rudof", "auto"):
        raise ConfigError(f"{path}: [validation] engine must be \"pyshacl\", \"rudof\" or \"auto\", not {engine!r}.")
    sources = tuple(_source(entry, root, path) for entry in raw.get("sources", []))
    ids = [s.id for s in sources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{path}: source ids must be unique; repeated: {', '.join(duplicates)}.")
    return Config(
        path=path,
        title=str(section.get("title", Config.title)),
        base=base,
        languages=tuple(section.get("languages", Config.languages)),
        licence=str(section.get("licence", Config.licence)),
        publisher=str(section.get("publisher", Config.publisher)),
        contact=str(section.get("contact", "")),
        accessibility_assessed=_day(section.get("accessibility_assessed", ""), path),
        data_dir=data_dir,
        store=store,
        validation_workers=int(validation.get("workers", 0)),
        validation_engine=engine,
        harvest_concurrency=int(_table(raw, "harvest", path).get("concurrency", Config.harvest_concurrency)),
        browser_search_max_offers=int(_table(raw, "site", path).get("browser_search_max_offers", Config.browser_search_max_offers)),
        sources=sources,
        server=_table(raw, "server", path),
    )


def _table(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table.")
    return value


def _store(section: dict[str, Any], root: Path, data_dir: Path, path: Path) -> StoreConfig:
    backend = section.get("backend", "oxigraph")
    if backend not in ("oxigraph", "sparql"):
        raise ConfigError(f"{path}: [store] backend must be 'oxigraph' or 'sparql', not {backend!r}.")
    if backend == "sparql" and not section.get("query_url"):
        raise ConfigError(f"{path}: a 'sparql' store needs query_url (and update_url, graph_store_url).")
    auth = str(section.get("auth", "basic"))
    if auth not in ("basic", "digest"):
        raise ConfigError(f"{path}: [store] auth must be 'basic' or 'digest', not {auth!r}.")
    for secret in ("user", "password"):
        if secret in section:
            raise ConfigError(
                f"{path}: do not put {secret}s in the configuration file; name the environment variable "
                f"that holds it with {secret}_env."
            )
    return StoreConfig(
        backend=backend,
        path=root / section["path"] if "path" in section else data_dir / "store",
        query_url=section.get("query_url", ""),
        update_url=section.get("update_url", ""),
        graph_store_url=section.get("graph_store_url", ""),
        user_env=section.get("user_env", ""),
        password_env=section.get("password_env", ""),
        timeout=float(section.get("timeout", 60.0)),
        batch_triples=int(section.get("batch_triples", StoreConfig.batch_triples)),
        page_triples=int(section.get("page_triples", StoreConfig.page_triples)),
        load_triples=int(section.get("load_triples", StoreConfig.load_triples)),
        graph_store_reads=bool(section.get("graph_store_reads", False)),
        retries=int(section.get("retries", StoreConfig.retries)),
        auth=auth,
    )


def _source(entry: dict[str, Any], root: Path, path: Path) -> SourceConfig:
    source_id = str(entry.get("id", ""))
    if not SOURCE_ID.match(source_id):
        raise ConfigError(
            f"{path}: source id {source_id!r} must be a slug: lower-case letters, digits and hyphens."
        )
    for key in ("name", "harvester"):
        if not entry.get(key):
            raise ConfigError(f"{path}: source '{source_id}' needs a {key}.")
    urls = entry.get("urls") or ([entry["url"]] if entry.get("url") else [])
    if not urls:
        raise ConfigError(f"{path}: source '{source_id}' needs a url or urls.")
    resolved = tuple(u if re.match(r"^https?://", u) else str((root / u).resolve()) for u in urls)
    options = {k: v for k, v in entry.items() if k not in ("id", "name", "harvester", "url", "urls")}
    return SourceConfig(source_id, str(entry["name"]), str(entry["harvester"]), resolved, options)
