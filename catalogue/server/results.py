"""SPARQL results, serialised with a cap on their size.

pyoxigraph serialises a whole result set at once; the endpoint must stop at a
configured number of rows or triples and tell the client so, instead of
silently truncating (as some servers do with status 200). So SELECT and ASK
results are written here, by the W3C formats (SPARQL 1.1 Query Results JSON,
XML, CSV and TSV); graph results go through pyoxigraph's RDF serialisers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

SOLUTION_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


class TooManyResults(Exception):
    def __init__(self, limit: int, unit: str):
        self.limit = limit
        self.unit = unit
        super().__init__(f"The result has more than {limit} {unit}.")


@dataclass
class Serialised:
    body: bytes
    media_type: str
    count: int


def solutions(result: ox.QuerySolutions, fmt: str, max_rows: int) -> Serialised:
    variables = [v.value for v in result.variables]
    rows = []
    for solution in result:
        if len(rows) >= max_rows:
            raise TooManyResults(max_rows, "rows")
        rows.append([solution[v] for v in variables])
    writer = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}[fmt]
    return Serialised(writer(variables, rows), MEDIA_TYPES[fmt], len(rows))


def boolean(value: bool, fmt: str) -> Serialised:
    if fmt == "xml":
        body = (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
            f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"
        ).encode()
        return Serialised(body, MEDIA_TYPES["xml"], 1)
    if fmt in ("csv", "tsv"):
        return Serialised(b"true\n" if value else b"false\n", MEDIA_TYPES[fmt], 1)
    return Serialised(json.dumps({"head": {}, "boolean": bool(value)}).encode(), MEDIA_TYPES["json"], 1)


def triples(result: Iterable[ox.Triple], rdf_format: ox.RdfFormat, max_triples: int, prefixes: dict[str, str] | None = None) -> Serialised:
    collected = []
    for triple in result:
        if len(collected) >= max_triples:
            raise TooManyResults(max_triples, "triples")
        collected.append(triple)
    if rdf_format.supports_datasets:
        items: list = [ox.Quad(t.subject, t.predicate, t.object) for t in collected]
    else:
        items = collected
    use_prefixes = prefixes if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    body = ox.serialize(items, format=rdf_format, prefixes=use_prefixes) or b""
    media = rdf_format.media_type + ("; charset=utf-8" if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) else "")
    return Serialised(body, media, len(collected))


# -- SPARQL 1.1 Query Results JSON -------------------------------------------------------


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate), "object": _json_term(term.object)}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _json(variables: list[str], rows: list[list]) -> bytes:
    bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()


# -- SPARQL Query Results XML ---------------------------------------------------------------


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(_xml_safe(term.value))}</literal>"
    if term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(_xml_safe(term.value))}</literal>"
    return f"<literal>{escape(_xml_safe(term.value))}</literal>"


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters; they are replaced, not dropped silently."""
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\ufffd" for c in text)


def _xml(variables: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>\n')
    for variable in variables:
        out.write(f"  <variable name={quoteattr(variable)}/>\n")
    out.write("</head>\n<results>\n")
    for row in rows:
        out.write("  <result>")
        for variable, term in zip(variables, row):
            if term is not None:
                out.write(f"<binding name={quoteattr(variable)}>{_xml_term(term)}</binding>")
        out.write("</result>\n")
    out.write("</results>\n</sparql>\n")
    return out.getvalue().encode("utf-8")


# -- SPARQL 1.1 Query Results CSV and TSV ----------------------------------------------


def _csv_value(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _csv(variables: list[str], rows: list[list]) -> bytes:
    lines = [",".join(variables)] + [",".join(_csv_value(t) for t in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _tsv_value(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        escaped = term.value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace('"', '\\"')
        if term.language:
            return f'"{escaped}"@{term.language}'
        if term.datatype.value == XSD_STRING:
            return f'"{escaped}"'
        return f'"{escaped}"^^<{term.datatype.value}>'
    return str(term)


def _tsv(variables: list[str], rows: list[list]) -> bytes:
    lines = ["\t".join(f"?{v}" for v in variables)] + ["\t".join(_tsv_value(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")
