"""Store: the catalogue's graphs behind one interface, kept in embedded Oxigraph or a remote SPARQL 1.1 server.

``open_store`` (beside the interface, not in a backend) picks the backend a configuration names.
"""

from .base import CatalogueStore, Change, GraphWrite
from .factory import open_store
from .oxigraph import OxigraphStore

__all__ = ["CatalogueStore", "Change", "GraphWrite", "OxigraphStore", "open_store"]
