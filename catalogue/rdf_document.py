"""A parsed RDF document: its quads, the notes its reader made, and the bytes they came from.

The harvest side reads documents (``catalogue.harvest.rdfio``); validation and the harvesters take them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:  # for the annotation only: the shared modules import no stage
    from catalogue.harvest.fetch import Fetched

# Said of a document in the ELM 3.3 namespace, however it was read (held in memory or on disk).
ELM33_NOTE = (
    "The document uses the ELM 3.3 namespace <http://data.europa.eu/snb/model/ontology/>; "
    "its terms were read as ELM 3.2 <http://data.europa.eu/snb/model/elm/>, which the catalogue publishes."
)


@dataclass
class RdfDocument:
    """A parsed document: its quads in document order, and notes on how it was read."""

    source: str
    format: ox.RdfFormat
    quads: list[ox.Quad]
    notes: list[str] = field(default_factory=list)
    content: bytes = b""
    fetched: Fetched | None = None
