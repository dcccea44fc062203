"""Shared fixtures: the example data, real stores, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogue.cli.commands import main
from catalogue.validation.validator import Validator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "elm"
SHARED = ROOT.parent / "shared"
BASE = "http://127.0.0.1:8000/"


def publish_example_sources(store, validator: Validator, base: str = BASE, now: datetime | None = None) -> None:
    """Each ELM example file published into ``store`` as a source named after the file."""
    from catalogue.harvest.admission import publish
    from catalogue.harvest.rdfio import read_rdf
    from catalogue.validation.offers import extract_offers
    from catalogue.vocab import load_vocabulary

    for path in sorted(EXAMPLES.glob("*.ttl")):
        records = extract_offers(read_rdf(str(path)).quads, load_vocabulary(), base).offers
        publish(store, path.stem, records, validator.validate_records(records), now=now)


@pytest.fixture(scope="session")
def example_files() -> list[Path]:
    files = sorted(EXAMPLES.glob("*.ttl"))
    assert len(files) >= 3
    return files


@pytest.fixture(scope="module")
def validator() -> Validator:
    """A validator with the catalogue's shapes, loaded once per test module."""
    return Validator(BASE)


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder as the current directory, so the default store and cache land in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def cli(workdir: Path):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


@pytest.fixture()
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a temporary folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory):
    """Every bundled example source harvested with the real pipeline, plus a hostile one, and the site built."""
    from .sitebuild import build_bundled_site

    return build_bundled_site(tmp_path_factory.mktemp("bundled-site"))


# -- the store backends: the same store tests run on each ------------------------------------------

BACKENDS = ["embedded", "oxigraph-server", "virtuoso"]
_bases = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def oxigraph_server_session():
    from .sparqlservers import oxigraph_server

    with oxigraph_server() as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_session():
    from .sparqlservers import virtuoso_server

    with virtuoso_server() as server:
        yield server


def remote_store_for(server, base: str, **options):
    from requests.auth import HTTPDigestAuth

    from catalogue.store.remote import RemoteStore, SparqlClient

    auth = HTTPDigestAuth(server.user, server.password) if server.user else None
    client = SparqlClient(server.query_url, server.update_url, server.graph_store_url, auth=auth, timeout=120, retries=2)
    return RemoteStore(client, base, **{"batch_triples": server.batch_triples, "graph_store_reads": server.graph_store_reads, **options})


def backend_store(name: str, request, **options):
    """A store on backend ``name`` under a base IRI of its own (so tests sharing a server do not meet)."""
    from catalogue.store.oxigraph import OxigraphStore

    if name == "embedded":
        return OxigraphStore.open(None, BASE)
    base = f"http://127.0.0.1:8000/t{next(_bases)}/"
    server = request.getfixturevalue("oxigraph_server_session" if name == "oxigraph-server" else "virtuoso_session")
    return remote_store_for(server, base, **options)


# -- a real Chromium, for the browser tests -------------------------------------------------------------------

# Without the networking flags Chromium keeps trying to reach Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run",
                 "--disable-quic", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is needed for the browser tests: apt-get install chromium (or set CHROMIUM to its path).")
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()
