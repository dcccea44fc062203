"""The IRIs the catalogue mints for its graphs and sources, built in this one place.

Graphs: ``BASE/graph/KIND`` for the catalogue-wide ones (vocabulary, provenance, the remote store's
registry, the published statistics) and ``BASE/graph/KIND/NAME`` for one per source (source, records, quarantine) or per
write (staging, digest).
"""

from __future__ import annotations

GRAPH_KINDS = ("vocabulary", "provenance", "source", "records", "quarantine", "registry", "staging", "digest", "statistics")


def graph_iri(base: str, kind: str, name: str = "") -> str:
    """``BASE/graph/KIND[/NAME]``: where the store keeps each kind of graph."""
    if kind not in GRAPH_KINDS:
        raise ValueError(f"No graph kind {kind!r}: the catalogue keeps {', '.join(GRAPH_KINDS)}.")
    return f"{base}graph/{kind}" + (f"/{name}" if name else "")


def graph_prefix(base: str, kind: str = "") -> str:
    """What every graph of ``kind`` (or, without one, every graph of the catalogue) starts with."""
    return f"{base}graph/{kind}/" if kind else f"{base}graph/"



def source_iri(base: str, source_id: str) -> str:
    """The source itself (a dcat:Catalog of one provider's offers), not its graph."""
    return f"{base}source/{source_id}"
