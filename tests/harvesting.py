"""The harness the harvester tests share: a real in-memory store, harvest state and validator,
harvesting one configured source through the real pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalogue.config import Config, SourceConfig
from catalogue.harvest.pipeline import SourceOutcome, harvest_source
from catalogue.harvest.state import HarvestState
from catalogue.levels import LEVEL_KEYS
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.validator import Validator

from .conftest import BASE


class HarvestingCatalogue:
    """Subclasses name the source (id, name, harvester kind) and the options every harvest starts from."""

    source_id: str
    source_name: str
    harvester: str
    defaults: dict[str, Any] = {"retries": 0, "backoff": 0}

    def __init__(self, tmp_path: Path, validator: Validator):
        self.tmp = tmp_path
        self.config = Config(base=BASE, data_dir=tmp_path / "data")
        self.store = OxigraphStore.open(None, BASE)
        self.state = HarvestState(None)
        self.validator = validator

    def harvest(self, *locations: str | Path, accept_shrink: bool = False, **options) -> SourceOutcome:
        urls = tuple(str(location) for location in locations)
        source = SourceConfig(self.source_id, self.source_name, self.harvester, urls, {**self.defaults, **options})
        return harvest_source(self.config, source, self.store, self.state, self.validator, accept_shrink=accept_shrink)

    def offers(self) -> set[str]:
        return {r["o"].value for r in self.store.query("SELECT ?o WHERE { ?o a elm:LearningOpportunity }")}

    def level(self, offer: str) -> str | None:
        """The level the offer was admitted at (listed, europass-ready, complete), from its catalogue record."""
        rows = list(self.store.query(f"SELECT ?l WHERE {{ ?r foaf:primaryTopic <{offer}> ; mcc:admissionLevel ?l }}"))
        return LEVEL_KEYS[rows[0]["l"].value] if rows else None

    def quarantined(self) -> set[str]:
        rows = self.store.query("SELECT ?o WHERE { GRAPH ?g { ?r a mcc:QuarantineRecord ; foaf:primaryTopic ?o } }", default_graphs=[])
        return {r["o"].value for r in rows}
