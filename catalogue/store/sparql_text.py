"""SPARQL text the catalogue writes: update requests from triples, and the protocol's USING clauses.

Decisions about text a client sent (SERVICE, FROM, nesting) are made on its tokens in ``sparql_check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from .sparql_check import blank_literals, check


def add_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every INSERT/DELETE … WHERE of an update."""
    clauses = "".join(f"USING <{g}> " for g in default_graphs) + "".join(f"USING NAMED <{g}> " for g in named_graphs)
    text = blank_literals(update)
    positions = [
        m.start()
        for m in re.finditer(r"(?<![\w:?$])WHERE(?![\w:])", text, re.IGNORECASE)
        if not re.search(r"DELETE\s*$", text[: m.start()], re.IGNORECASE)
    ]
    for position in reversed(positions):
        update = update[:position] + clauses + update[position:]
    return update


def names_its_update_dataset(update: str) -> bool:
    return uses(update, "USING") or uses(update, "WITH")


def uses(sparql: str, keyword: str) -> bool:
    return check(sparql).uses(keyword)


def data_block(verb: str, graph: str, triples: Iterable[ox.Triple]) -> str:
    """``DELETE DATA`` or ``INSERT DATA`` (``verb``) of ``triples`` in ``graph``."""
    body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return f"{verb} DATA {{ GRAPH <{graph}> {{\n{body}}} }}"


def data_request(verb: str, by_graph: dict[str, Iterable[ox.Triple]]) -> str:
    """One SPARQL Update text: a ``data_block`` for each graph that has triples."""
    return " ;\n".join(data_block(verb, graph, triples) for graph, triples in by_graph.items() if triples)


def drop_request(graphs: Iterable[str]) -> str:
    return " ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in sorted(graphs))
