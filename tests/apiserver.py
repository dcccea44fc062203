"""A real catalogue server on 127.0.0.1 for tests: example data published, uvicorn in a thread."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import uvicorn

from catalogue.config import Config, SourceConfig
from catalogue.harvest.admission import publish
from catalogue.harvest.contract import HarvestContext
from catalogue.harvest.derivation.apply import derive_record
from catalogue.harvest.rdfio import read_rdf
from catalogue.harvest.state import HarvestState
from catalogue.publish.generations import publish_generation
from catalogue.server.app import ServerSettings, create_app
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.offers import extract_offers
from catalogue.validation.validator import Validator
from catalogue.vocab import load_vocabulary

from .conftest import EXAMPLES, free_port


def example_quads(path: Path, base: str, derive: bool = False) -> list[ox.Quad]:
    """An example ELM file's statements; with ``derive``, also the values a harvest derives from them (pace notes,
    language requirements…), as a catalogue that harvested the file publishes them."""
    quads = read_rdf(str(path)).quads
    if not derive:
        return quads
    source = SourceConfig(id=path.stem, name=path.stem, harvester="rdf", urls=(str(path),))
    context = HarvestContext(source=source, base=base, vocabulary=load_vocabulary(), http=None)
    triples, _ = derive_record([q.triple for q in quads], context, path.stem)
    return [ox.Quad(t.subject, t.predicate, t.object) for t in triples]


def publish_examples(data_dir: Path, base: str, files: list[Path] | None = None, derive: bool = False) -> Config:
    """Load the example ELM files as sources into a store under ``data_dir`` and publish a generation; ``derive``
    adds the derived values a harvest would add (without their provenance)."""
    config = Config(base=base, data_dir=data_dir)
    store = OxigraphStore.open(config.store.path if config.store.path.is_absolute() else data_dir / "store", base)
    state = HarvestState(data_dir / "state.sqlite")
    validator = Validator(base)
    store.ensure_vocabulary(load_vocabulary())
    for path in files or sorted(EXAMPLES.glob("*.ttl")):
        records = extract_offers(example_quads(path, base, derive), load_vocabulary(), base).offers
        outcome = publish(store, path.stem, records, validator.validate_records(records))
        state.log_changes(("2026-11-24T10:00:00Z", path.stem, o, k, h, c) for o, k, h, c in outcome.events)
    publish_generation(config, store)
    store.close()
    state.close()
    return config


class LiveServer:
    def __init__(self, config: Config, settings: ServerSettings, update_store: OxigraphStore | None = None, pages=None):
        self.port = settings.port
        self.app = create_app(config, settings, update_store, pages=pages)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def settings_for(config: Config, **overrides) -> ServerSettings:
    settings = ServerSettings.from_config(config)
    return replace(settings, port=free_port(), **overrides)
