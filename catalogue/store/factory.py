"""Open the store a configuration names: the embedded Oxigraph store, or a remote SPARQL 1.1 server."""

from __future__ import annotations

from .base import CatalogueStore
from .oxigraph import OxigraphStore
from .remote import RemoteStore


def open_store(config, read_only: bool = False) -> CatalogueStore:
    """The store the configuration names."""
    if config.store.backend == "sparql":
        return RemoteStore.from_config(config)
    return OxigraphStore.open(config.store.path, config.base, read_only=read_only)
