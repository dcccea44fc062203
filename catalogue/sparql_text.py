"""Looking at SPARQL text without a full parser: which keywords appear outside strings, IRIs and comments.

The endpoint must refuse SERVICE (federation would let anyone make the server
call other hosts) and needs to know whether a query names its own dataset
(FROM / FROM NAMED). Oxigraph parses and runs the query itself; this only
strips the parts of the text where a keyword would not be a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\n]*",  # comments
    re.DOTALL,
)


def keywords_only(sparql: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length, so positions still match)."""
    return _TOKENS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), sparql)


def add_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every INSERT/DELETE … WHERE of an update."""
    clauses = "".join(f"USING <{g}> " for g in default_graphs) + "".join(f"USING NAMED <{g}> " for g in named_graphs)
    text = keywords_only(update)
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
    return re.search(rf"(?<![\w:?$]){keyword}(?![\w:])", keywords_only(sparql), re.IGNORECASE) is not None


def names_its_dataset(sparql: str) -> bool:
    return uses(sparql, "FROM")


def is_update(sparql: str) -> bool:
    text = keywords_only(sparql)
    return re.search(r"(?<![\w:?$])(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD)(?![\w:])", text, re.IGNORECASE) is not None and not re.search(
        r"(?<![\w:?$])(SELECT|CONSTRUCT|ASK|DESCRIBE)(?![\w:])", text, re.IGNORECASE
    )


def data_block(verb: str, graph: str, triples: Iterable[ox.Triple]) -> str:
    """``DELETE DATA`` or ``INSERT DATA`` (``verb``) of ``triples`` in ``graph``."""
    body = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return f"{verb} DATA {{ GRAPH <{graph}> {{\n{body}}} }}"


def data_request(verb: str, by_graph: dict[str, Iterable[ox.Triple]]) -> str:
    """One SPARQL Update text: a ``data_block`` for each graph that has triples."""
    return " ;\n".join(data_block(verb, graph, triples) for graph, triples in by_graph.items() if triples)


def drop_request(graphs: Iterable[str]) -> str:
    return " ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in sorted(graphs))
