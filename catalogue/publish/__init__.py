"""Publish: make a generation of the catalogue (a store snapshot, dumps, self-descriptions, the search index).

The server and the site read only published generations, never the store a harvest is writing.
"""

from .generations import (
    Generation,
    current_generation,
    publish_generation,
    published_store,
)

__all__ = ["Generation", "current_generation", "publish_generation", "published_store"]
