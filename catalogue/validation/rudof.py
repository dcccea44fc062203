"""A faster SHACL engine: rudof (Rust, ``pyrudof`` on PyPI) with pyshacl's exact results.

``RudofEngine.validate(batch)`` returns exactly what ``ShaclEngine.validate(batch)``
returns (same findings, same order): pyshacl stays the reference, and the
tests (tests/test_engines.py) compare the two on the example data, generated
offers, every breakage of the shape tests and a set of nasty inputs.

How it stays exact:

* rudof gets the batch as N-Triples text (the offers' canonical lines and the
  vocabulary concepts they use), and a copy of the shapes graph in which every
  blank shape has an IRI, so each result names its shape; the result is mapped
  back to the shape node of the reference engine, whose facts (profile, Annex I
  element, messages, display name) and attribution code are reused unchanged.
* Where rudof and pyshacl read SHACL differently, the copy or the results are
  adjusted (see ``_RudofShapes``):
  - results of the members of ``sh:or`` / ``sh:and`` / ``sh:xone`` / ``sh:not``
    are dropped: rudof also reports them as results of their own, pyshacl (as
    the SHACL spec says) only the result of the logical constraint;
  - ``sh:lessThan`` / ``sh:lessThanOrEquals`` are evaluated here with pyshacl's
    own comparison code (rudof only finds the focus nodes): pyshacl orders
    values it cannot compare (xsd:date against xsd:dateTime) by datatype IRI, as
    SPARQL's ORDER BY does, rudof reports every such pair as a violation;
  - ``sh:pattern``: Python's ``$`` also matches before a final newline and its
    ``\\s`` also matches U+001C..U+001F, Rust's do not; the copy spells both out;
  - ``sh:message`` is left out of the copy (the reference engine's messages are
    used; rudof would only copy them into every result).
* A batch that holds anything where the two could still differ is validated by
  pyshacl instead (``_Unsafe``): blank nodes (rudof renames them in its
  results), text that is not canonical N-Triples as the catalogue writes it,
  ill-typed literals, literals whose datatype check rudof and pyshacl decide
  differently, typed literals that rdflib would rewrite where a pattern reads
  them, or results that cannot be mapped back unambiguously. The validator never
  produces the first two; the rest are rare, so nearly every batch takes the
  fast path, and every batch gets the reference answer.

Shapes that use SHACL features this module has not been checked against raise
``UnsupportedShapes`` when the engine is built (the validator then falls back
to pyshacl when asked for "auto").

A pyrudof session is created per process. rudof starts thread pools on its
first validation, and a process forked from one that has them hangs; see
``fork_is_safe`` and ``Validator._executor`` for how the worker pool starts.
"""

from __future__ import annotations

import os
import re
import threading
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyrudof
from pyshacl.constraints.core.property_pair_constraints import (
    LessThanConstraintComponent,
    LessThanOrEqualsConstraintComponent,
)
from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from catalogue.vocab import Vocabulary

from .offers import canonical_literal
from .shacl import BatchOffer, ShaclEngine, _to_rdflib

RDF_TYPE_TEXT = f"<{RDF.type}>"
SHAPE_IRI = "urn:mc-catalogue:shape:"
PROBE_IRI = "urn:mc-catalogue:probe:"
DATATYPE_PROBE = "urn:mc-catalogue:datatype-probe:"
# A property shape with this sh:minCount fails on every focus node: rudof then lists them.
EVERY_FOCUS = 1_000_000_000

# What the shapes may use (parameters of constraints and targets, and annotations).
_SUPPORTED = {
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
    SH.property, SH.path, SH.node, SH["or"], SH["and"], SH.xone, SH["not"],
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minInclusive,
    SH.pattern, SH.flags, SH.uniqueLang, SH.hasValue, SH["in"], SH.disjoint,
    SH.lessThan, SH.lessThanOrEquals, SH.closed, SH.ignoredProperties,
    SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group,
}
_PATH_KEYS = {SH.alternativePath, SH.inversePath}
_LOGICAL = (SH["or"], SH["and"], SH.xone)
_PAIR_COMPARISONS = {SH.lessThan: LessThanConstraintComponent, SH.lessThanOrEquals: LessThanOrEqualsConstraintComponent}
# Python's \s also matches these four (str.isspace); Rust's \s (Unicode White_Space) does not.
_PY_ONLY_SPACES = "\\x1C-\\x1F"
_XSD_STRING = str(XSD.string)
_SH = str(SH)
_SOURCE_SHAPE, _FOCUS_NODE, _COMPONENT, _RESULT_PATH, _VALUE = (
    SH.sourceShape, SH.focusNode, SH.sourceConstraintComponent, SH.resultPath, SH.value
)


class UnsupportedShapes(Exception):
    """The shapes use a SHACL feature that RudofEngine has not been checked against."""


class _Unsafe(Exception):
    """This batch holds something rudof and pyshacl could read differently: pyshacl validates it."""


@dataclass(frozen=True)
class _Probe:
    """A shape added to rudof's copy whose results are turned into the reference engine's results.

    kind "compare": one result per focus node of ``shape`` (a property shape with
    sh:lessThan / sh:lessThanOrEquals); the comparison is pyshacl's own code.
    kind "node": one result per literal value node of ``shape`` (which has sh:node
    N, N failing on every literal); stands for ``shape``'s sh:node result.
    kind "empty": one result per literal focus node of a shape whose property
    shapes ``failing`` fail on a node without values (sh:minCount, sh:hasValue).
    """

    kind: str
    shape: Any
    path: URIRef | None = None
    comparisons: tuple[tuple[type, URIRef], ...] = ()  # (pyshacl component, other property)
    failing: tuple[tuple[Any, str], ...] = ()  # (property shape, component name)


class _RudofShapes:
    """The shapes graph as rudof gets it, and how its results map back to the reference shapes."""

    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self._check_supported()
        self.names: dict[Any, str] = {}  # reference shape node -> IRI in rudof's copy
        for node in sorted(self._shape_nodes(), key=_sort_key):
            self.names[node] = str(node) if isinstance(node, URIRef) else f"{SHAPE_IRI}{len(self.names)}"
        self.original: dict[str, Any] = {iri: node for node, iri in self.names.items()}
        self.nested = {self.names[n] for n in self._logical_members()}
        self.probes: dict[str, _Probe] = {}
        self.pattern_predicates: set[str] | None = set()  # None: patterns may read any property
        self.datatypes = {str(o) for o in shapes.objects(None, SH.datatype)}
        self.text = self._copy().serialize(format="nt")

    # -- what the shapes use ---------------------------------------------------

    def _check_supported(self) -> None:
        for s, p, o in self.shapes:
            if str(p).startswith(str(SH)) and p not in _SUPPORTED and p not in _PATH_KEYS:
                raise UnsupportedShapes(f"{p} is not supported by the rudof engine")
            if p in (SH.hasValue,) and isinstance(o, Literal):
                raise UnsupportedShapes("sh:hasValue with a literal is not supported by the rudof engine")
            if p == SH["in"] and any(isinstance(m, Literal) for m in Collection(self.shapes, o)):
                raise UnsupportedShapes("sh:in with literals is not supported by the rudof engine")
            if p == SH.flags and set(str(o)) - {"i"}:
                raise UnsupportedShapes(f"sh:flags {o!r}: only 'i' is supported by the rudof engine")
            if p == SH.targetNode and isinstance(o, Literal):
                raise UnsupportedShapes("sh:targetNode with a literal is not supported by the rudof engine")

    def _shape_nodes(self) -> set:
        found = set(self.shapes.subjects(RDF.type, SH.NodeShape)) | set(self.shapes.subjects(RDF.type, SH.PropertyShape))
        found |= set(self.shapes.subjects(SH.path, None))
        for key in (SH.property, SH.node, SH["not"]):
            found |= set(self.shapes.objects(None, key))
        for key in _LOGICAL:
            for lst in self.shapes.objects(None, key):
                found |= set(Collection(self.shapes, lst))
        return found

    def _logical_members(self) -> set:
        """Shapes used only inside sh:or/sh:and/sh:xone/sh:not, with their property shapes."""
        members = set(self.shapes.objects(None, SH["not"]))
        for key in _LOGICAL:
            for lst in self.shapes.objects(None, key):
                members |= set(Collection(self.shapes, lst))
        closure, stack = set(), list(members)
        while stack:
            node = stack.pop()
            if node not in closure:
                closure.add(node)
                stack.extend(self.shapes.objects(node, SH.property))
        direct = {o for s, o in self.shapes.subject_objects(SH.property) if s not in closure}
        targeted = {s for s, p, _ in self.shapes if p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)}
        overlap = closure & (direct | targeted)
        if overlap:
            raise UnsupportedShapes(f"shapes used both inside and outside logical constraints: {sorted(map(str, overlap))}")
        return closure

    # -- the copy rudof gets ---------------------------------------------------

    def _copy(self) -> Graph:
        name = lambda node: URIRef(self.names[node]) if node in self.names else node  # noqa: E731
        copy = Graph(store="SimpleMemory")
        for s, p, o in self.shapes:
            if p == SH.message or p in _PAIR_COMPARISONS or p == SH.pattern:
                continue
            copy.add((name(s), p, name(o)))
        for shape, pattern in self.shapes.subject_objects(SH.pattern):
            flags = self.shapes.value(shape, SH.flags)
            copy.add((name(shape), SH.pattern, Literal(_rust_pattern(str(pattern), str(flags or "")))))
            self._note_pattern(shape)
        self._add_probes(copy, name)
        return copy

    def _note_pattern(self, shape) -> None:
        """The properties whose values a pattern of ``shape`` reads (for the rewritten-literal check)."""
        if self.pattern_predicates is None:
            return
        path = self.shapes.value(shape, SH.path)
        if isinstance(path, URIRef):
            self.pattern_predicates.add(f"<{path}>")
            return
        if path is None and not self._is_used_nested(shape):
            targets = list(self.shapes.objects(shape, SH.targetObjectsOf))
            only_subject_targets = all(
                p in (SH.targetClass, SH.targetSubjectsOf) for p, _ in self.shapes.predicate_objects(shape) if str(p).startswith(str(SH) + "target")
            )
            if targets or only_subject_targets:
                self.pattern_predicates.update(f"<{t}>" for t in targets)
                return
        self.pattern_predicates = None

    def _is_used_nested(self, shape) -> bool:
        return any(True for _ in self.shapes.subjects(SH.node, shape)) or self.names.get(shape) in getattr(self, "nested", ())

    def _add_probes(self, copy: Graph, name) -> None:
        self._add_comparison_probes(copy, name)
        self._add_literal_probes(copy, name)

    def _probe(self, probe: _Probe) -> URIRef:
        iri = f"{PROBE_IRI}{len(self.probes)}"
        self.probes[iri] = probe
        return URIRef(iri)

    def _parents(self, shape) -> list:
        """The node shapes ``shape`` is a property shape of; refused if it is used in any other way."""
        parents = list(self.shapes.subjects(SH.property, shape))
        if not parents or self.names[shape] in self.nested or self._is_used_nested(shape):
            raise UnsupportedShapes(f"{shape}: only supported as a property shape of a node shape")
        for parent in parents:
            if self.names[parent] in self.nested or self._is_used_nested(parent):
                raise UnsupportedShapes(f"{shape}: only supported in a shape that is not used through sh:node or a logical constraint")
        return parents

    def _add_comparison_probes(self, copy: Graph, name) -> None:
        """sh:lessThan(OrEquals): rudof only lists the focus nodes; the comparison is pyshacl's (see RudofEngine._compare).

        pyshacl orders values it cannot compare (xsd:date against xsd:dateTime) the
        way SPARQL's ORDER BY does (by datatype IRI), rudof reports every such pair
        as a violation; neither is wrong by the SHACL text, but pyshacl is the reference.
        """
        for shape in sorted({s for s, p, _ in self.shapes if p in _PAIR_COMPARISONS}, key=_sort_key):
            path = self.shapes.value(shape, SH.path)
            if not isinstance(path, URIRef):
                raise UnsupportedShapes(f"{shape}: sh:lessThan(OrEquals) only with an IRI path")
            comparisons = []
            for key, component in _PAIR_COMPARISONS.items():
                comparisons += [(component, other) for other in self.shapes.objects(shape, key)]
            probe = self._probe(_Probe("compare", shape, path, tuple(comparisons)))
            for parent in self._parents(shape):
                copy.add((name(parent), SH.property, probe))
            copy.add((probe, SH.path, path))
            copy.add((probe, SH.minCount, Literal(EVERY_FOCUS)))

    def _add_literal_probes(self, copy: Graph, name) -> None:
        """Literal focus nodes: rudof skips property shapes on them, pyshacl finds no values.

        So a property shape with sh:minCount >= 1 or sh:hasValue fails on every
        literal in pyshacl and passes in rudof. Where a literal can be such a focus
        node (a value of a sh:targetObjectsOf target, or a value checked with
        sh:node), a probe in rudof's copy lists those literals and the result
        pyshacl gives is made here.
        """
        for shape in sorted(self._shape_nodes(), key=_sort_key):
            targets = list(self.shapes.objects(shape, SH.targetObjectsOf))
            failing = self._failing_when_empty(shape) if targets else ()
            if failing:
                probe = self._probe(_Probe("empty", shape, failing=failing))
                self._literal_probe(copy, probe, targets)
            for logical in (*_LOGICAL, SH["not"]):
                for lst in self.shapes.objects(shape, logical):
                    members = [lst] if logical == SH["not"] else list(Collection(self.shapes, lst))
                    may_be_literal = bool(targets) or self.shapes.value(shape, SH.path) is not None or self._is_used_nested(shape)
                    if may_be_literal and any(self._failing_when_empty(m) for m in members):
                        raise UnsupportedShapes(f"{shape}: logical constraint over property shapes on possibly literal nodes")
        for shape, node in sorted(self.shapes.subject_objects(SH.node), key=lambda so: (_sort_key(so[0]), str(so[1]))):
            if any(True for _ in self.shapes.objects(node, SH.targetObjectsOf)) or any(
                self.shapes.value(node, key) is not None for key in (SH.node, *_LOGICAL, SH["not"])
            ) or any(self.shapes.value(child, SH.node) is not None for child in self.shapes.objects(node, SH.property)):
                raise UnsupportedShapes(f"{node}: sh:node to a shape with targets or nested shapes")
            if not self._failing_when_empty(node):
                continue
            path = self.shapes.value(shape, SH.path)
            if path is None:
                targets = list(self.shapes.objects(shape, SH.targetObjectsOf))
                if self.names[shape] in self.nested or self._is_used_nested(shape):
                    raise UnsupportedShapes(f"{shape}: sh:node in a shape used through sh:node or a logical constraint")
                if targets:
                    self._literal_probe(copy, self._probe(_Probe("node", shape)), targets)
            elif isinstance(path, URIRef):
                probe = self._probe(_Probe("node", shape, path))
                for parent in self._parents(shape):
                    copy.add((name(parent), SH.property, probe))
                copy.add((probe, SH.path, path))
                copy.add((probe, SH.nodeKind, SH.BlankNodeOrIRI))
            else:
                raise UnsupportedShapes(f"{shape}: sh:node on a complex path")

    def _literal_probe(self, copy: Graph, probe: URIRef, targets: list) -> None:
        copy.add((probe, RDF.type, SH.NodeShape))
        for target in targets:
            copy.add((probe, SH.targetObjectsOf, target))
        copy.add((probe, SH.nodeKind, SH.BlankNodeOrIRI))

    def _failing_when_empty(self, shape) -> tuple[tuple[Any, str], ...]:
        """(property shape, component) of ``shape`` that fail on a literal focus node (which has no outgoing values).

        Only called where a literal can be the focus node. rudof does evaluate
        paths that start backwards on literals; mixing both is not checked.
        """
        found = []
        for child in self.shapes.objects(shape, SH.property):
            if not _forward(self.shapes, self.shapes.value(child, SH.path)):
                if any(True for _ in self.shapes.objects(child, SH.minCount)) or any(True for _ in self.shapes.objects(child, SH.hasValue)):
                    raise UnsupportedShapes(f"{child}: sh:minCount / sh:hasValue on a path that starts backwards, on literals")
                continue
            if any(int(m) >= 1 for m in self.shapes.objects(child, SH.minCount)):
                found.append((child, "MinCountConstraintComponent"))
            if any(True for _ in self.shapes.objects(child, SH.hasValue)):
                found.append((child, "HasValueConstraintComponent"))
        return tuple(found)


def _forward(shapes: Graph, path) -> bool:
    """Whether every route of ``path`` starts with a forward step (so a literal has no values)."""
    if isinstance(path, URIRef):
        return True
    if path is None:
        return False
    if (path, RDF.first, None) in shapes:
        members = list(Collection(shapes, path))
        return bool(members) and _forward(shapes, members[0])
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return all(_forward(shapes, p) for p in Collection(shapes, alternatives))
    return False


def _sort_key(node) -> tuple:
    return (isinstance(node, BNode), str(node))


def _rust_pattern(pattern: str, flags: str) -> str:
    """``pattern`` for Rust's regex crate, matching what Python's ``re.search`` matches.

    Two differences matter: Python's ``$`` (without the m flag) also matches before
    a final newline, and its ``\\s`` also matches U+001C..U+001F. Anything this
    function cannot translate with certainty is refused.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise UnsupportedShapes(f"sh:pattern {pattern!r} ends with a backslash")
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(f"\\s{_PY_ONLY_SPACES}" if in_class else f"[\\s{_PY_ONLY_SPACES}]")
            elif nxt == "S":
                if in_class:
                    raise UnsupportedShapes(f"sh:pattern {pattern!r}: \\S inside a character class")
                out.append(f"[^\\s{_PY_ONLY_SPACES}]")
            elif nxt in "AZbBdDwWuUxNpP0123456789gk":
                raise UnsupportedShapes(f"sh:pattern {pattern!r}: \\{nxt} is not supported by the rudof engine")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":
                raise UnsupportedShapes(f"sh:pattern {pattern!r}: nested character class")
            if c == "]" and out[-1] not in ("[", "[^"):
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "^":
                out.append("[^")
                i += 2
                continue
        elif c == "$":
            if i != len(pattern) - 1:
                raise UnsupportedShapes(f"sh:pattern {pattern!r}: '$' other than at the end")
            out.append("\n?$" if "m" not in flags else "$")
            i += 1
            continue
        elif c == "(" and pattern[i + 1:i + 2] == "?" and pattern[i + 2:i + 3] != ":":
            raise UnsupportedShapes(f"sh:pattern {pattern!r}: (?...) groups other than (?:...)")
        out.append(c)
        i += 1
    text = "".join(out).replace("\n", "\\n")
    return text


class _Batch:
    """The batch's N-Triples text and the lookups attribution needs, without parsing every triple.

    Duck-types the two rdflib ``Graph`` calls ``ShaclEngine._attribute`` makes on
    the data graph (``subjects(p, o)`` and ``objects(s, rdf:type)``), answering
    them from the text in the order an rdflib graph filled in batch order would.
    """

    def __init__(self, batch: list[BatchOffer], concept_text: str):
        texts = [o.ntriples if o.ntriples.endswith("\n") or not o.ntriples else o.ntriples + "\n" for o in batch]
        self.text = "\n" + "".join(texts) + concept_text
        _check_layout(self.text)
        self.owners = owners = _Owners()
        self.offsets: list[tuple[int, int]] = []
        self.referenced_by: dict[str, list[int]] = {}
        position = 1
        setdefault = dict.setdefault
        for index, (offer, text) in enumerate(zip(batch, texts)):
            self.offsets.append((position, position + len(text)))
            position += len(text)
            subjects = {line[1:line.find(" ") - 1] for line in text.split("\n") if line}
            if offer.references:
                subjects.difference_update(offer.references)
                for reference in offer.references:
                    self.referenced_by.setdefault(reference, []).append(index)
            for subject in subjects:
                setdefault(owners, subject, []).append(index)
        self.concepts_start = position
        self._by_predicate: dict[str, list[tuple[str, str]]] = {}
        self._types: dict[str, str | None] = {}
        self.terms: dict[Any, str] = {}  # rdflib term -> its N-Triples text, for the terms results use
        self.foci: dict[tuple, Any] = {}

    # -- lookups ---------------------------------------------------------------

    def lines_of(self, predicate: str) -> list[tuple[str, str]]:
        """(subject, object) N-Triples texts of every line with ``predicate`` (``<iri>``), in text order."""
        found = self._by_predicate.get(predicate)
        if found is None:
            found = []
            text, needle = self.text, f" {predicate} "
            position = text.find(needle)
            while position != -1:
                start = text.rfind("\n", 0, position) + 1
                if text.find(" ", start, position + 1) == position:  # the predicate, not text inside a literal
                    end = text.find("\n", position)
                    found.append((text[start:position], text[position + len(needle):end - 2]))
                position = text.find(needle, position + 1)
            self._by_predicate[predicate] = found
        return found

    def subjects(self, predicate, obj):
        target = self.terms.get(obj)
        if target is None:
            raise _Unsafe(f"no text for {obj!r}")
        seen = []
        for subject, value in self.lines_of(f"<{predicate}>"):
            if value == target and subject not in seen:
                seen.append(subject)
        return [URIRef(s[1:-1]) for s in seen]

    def objects(self, subject, predicate):
        """The first rdf:type of ``subject`` in text order (what rdflib's graph would give first)."""
        if predicate != RDF.type or not isinstance(subject, URIRef):
            raise _Unsafe("unexpected lookup")
        iri = str(subject)
        if iri not in self._types:
            self._types[iri] = self._first_type(iri)
        found = self._types[iri]
        return [] if found is None else [_term(found)]

    def _first_type(self, iri: str) -> str | None:
        # Only the offers that hold the subject, or point to it as an offer, have lines about it.
        text, needle = self.text, f"\n<{iri}> {RDF_TYPE_TEXT} "
        holders = sorted(set(dict.get(self.owners, iri, ())) | set(self.referenced_by.get(iri, ())))
        ranges = [self.offsets[i] for i in holders] + [(self.concepts_start, len(text))]
        for start, end in ranges:
            position = text.find(needle, start - 1, end)
            if position != -1:
                return text[position + len(needle):text.find("\n", position + 1) - 2]
        return None

    def values(self, subject: str, predicate: str) -> list[str]:
        return [o for s, o in self.lines_of(predicate) if s == subject]


class _Owners(dict):
    """Which offers of the batch (indices, in batch order) hold each subject IRI.

    Keyed by the IRI as a plain string, looked up with rdflib terms as
    ``ShaclEngine._attribute`` does (only IRIs can own: literals never do).
    """

    def __contains__(self, term) -> bool:  # type: ignore[override]
        return isinstance(term, URIRef) and dict.__contains__(self, str(term))

    def get(self, term, default=None):  # type: ignore[override]
        return dict.get(self, str(term), default) if isinstance(term, URIRef) else default


def _check_layout(text: str) -> None:
    """Canonical N-Triples as the catalogue writes them (Oxigraph's terms, one space apart), or _Unsafe.

    ``text`` starts with a newline. Cheap whole-text scans only: anything they
    cannot rule out goes to pyshacl (a literal holding two spaces before "<" is
    sent there too; that costs time, never a wrong answer).
    """
    lines = text.count("\n") - 1
    if "\r" in text or "\t" in text or "_:" in text:
        raise _Unsafe("blank nodes, or whitespace other than single spaces")
    if text.count(" .\n") != lines or text.count("\n<") != lines:
        raise _Unsafe("not one triple per line")
    if "  " in text and ("  <" in text or '  "' in text or "  .\n" in text or ">  " in text):
        raise _Unsafe("more than one space between terms")
    if "\\" in text and any(m.group(1) is not None for m in _ESCAPE.finditer(text)):
        raise _Unsafe("escapes in a form Oxigraph does not write")
    if _UPPER_LANG.search(text):
        raise _Unsafe("language tags in a form Oxigraph does not write")


# The escapes Oxigraph writes in literals; anything else after a backslash (group 1) is not its form.
_ESCAPE = re.compile(r'\\(?:["\\nrtbf]|u00[01][0-9A-F]|u007F|(.))')
_UPPER_LANG = re.compile(r'"@[a-z0-9-]*[A-Z]')


@lru_cache(maxsize=50_000)
def _term(text: str):
    """An rdflib term from its N-Triples text, converted the way ShaclEngine converts terms."""
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    triple = next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
    return _to_rdflib(triple.object)


@lru_cache(maxsize=50_000)
def _literal_parts(text: str) -> tuple[str, str | None, str | None]:
    """(lexical form, language, datatype IRI) of a literal's N-Triples text."""
    literal = next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES))).object
    datatype = literal.datatype.value
    return literal.value, literal.language, None if datatype == _XSD_STRING or literal.language else datatype


def _shows(display: str, text: str) -> bool:
    """Whether rudof's display string of a term (``ShaclValidationEntry``) can be the term ``text``.

    rudof shows IRIs bare, literals as "lexical" with @lang or ^^datatype (as a
    prefixed name or <IRI>), and some typed literals (xsd:dateTime, xsd:boolean,
    integers) as their bare lexical form. This is a necessary condition; callers
    require exactly one candidate to pass it.
    """
    if text.startswith("<"):
        return display == text[1:-1]
    lexical, language, datatype = _literal_parts(text)
    if display == lexical:
        return datatype is not None
    head = f'"{lexical}"'
    if not display.startswith(head):
        return False
    tail = display[len(head):]
    if not tail:
        return datatype is None and language is None
    if tail[0] == "@":
        return language is not None and tail[1:].lower() == language.lower()
    if tail.startswith("^^") and datatype is not None:
        name = tail[2:]
        if name.startswith("<"):
            return name == f"<{datatype}>"
        local = name.split(":", 1)[-1]
        return ":" in name and (datatype.endswith("#" + local) or datatype.endswith("/" + local))
    return False


class RudofEngine(ShaclEngine):
    """ShaclEngine's interface and results, validated by rudof (see the module docstring)."""

    def __init__(self, vocabulary: Vocabulary | None = None, shapes: Graph | None = None):
        super().__init__(vocabulary)
        if shapes is not None:
            self.shapes = shapes
            self.info = self._index_shapes()
            self._facts = {}
        self.plan = _RudofShapes(self.shapes)
        self._paths = {iri: self.shapes.value(node, SH.path) for iri, node in self.plan.original.items()}
        self._components: dict[str, tuple[str, URIRef]] = {}
        self._session: tuple[int, Any] | None = None
        self._concept_text: dict[str, str] = {}
        self._datatype_ok: dict[tuple[str, str], bool] = {}
        self.fallbacks = 0  # batches pyshacl validated (for tests and benchmarks)
        self.fallback_reasons: deque[str] = deque(maxlen=100)
        try:
            self._rudof()  # reading the shapes starts no threads: safe before the pool forks
        except Exception as error:  # noqa: BLE001 - pyrudof's errors have no common base class
            raise UnsupportedShapes(f"rudof cannot read the shapes: {error}") from error

    # -- the pyrudof session, one per process -----------------------------------

    def _rudof(self):
        pid = os.getpid()
        if self._session is None or self._session[0] != pid:
            rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            rudof.read_shacl(self.plan.text + _datatype_probe_shapes(sorted(self.plan.datatypes)), pyrudof.ShaclFormat.NTriples)
            # An empty data graph to stage each batch on: staging and rolling back
            # is much cheaper than resetting the data (which rebuilds the graph).
            rudof.read_data(f"<{PROBE_IRI}empty> <{PROBE_IRI}empty> <{PROBE_IRI}empty> .\n", pyrudof.RDFFormat.NTriples)
            self._session = (pid, rudof)
        return self._session[1]

    def warm_up(self) -> None:
        """Open this process's pyrudof session now rather than on the first batch (in a new worker)."""
        self._rudof()

    # -- validation ------------------------------------------------------------

    def validate(self, batch: list[BatchOffer]) -> list[list[dict[str, Any]]]:
        try:
            return self._validate(batch)
        except Exception as reason:  # noqa: BLE001 - _Unsafe, or anything unforeseen: the reference engine answers
            self.fallbacks += 1
            self.fallback_reasons.append(f"{type(reason).__name__}: {reason}")
            if not isinstance(reason, _Unsafe):
                self._session = None  # start the next batch on a fresh pyrudof session
            return ShaclEngine.validate(self, batch)

    def _validate(self, batch: list[BatchOffer]) -> list[list[dict[str, Any]]]:
        concepts = sorted({c for offer in batch for c in offer.concepts})
        data = _Batch(batch, "".join(self._concept_lines(c) for c in concepts))
        probes, probing = self._check_literals(data.text)
        rudof = self._rudof()
        rudof.begin_staging()
        try:
            try:
                rudof.read_data(data.text + probes, pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict, merge=True)
            except Exception as error:  # noqa: BLE001 - rudof reads N-Triples differently from Oxigraph
                raise _Unsafe(f"rudof could not read the batch: {error}") from None
            global _THREADS_STARTED
            _THREADS_STARTED = True
            report = rudof.validate_shacl()
            entries = [(e.focus_node, e.path, e.value, e.source_shape, e.constraint_component) for e in report]
        finally:
            rudof.rollback_staging()
        if probing:
            self._read_datatype_probes(entries, probing)
        findings: list[dict[tuple, dict[str, Any]]] = [{} for _ in batch]
        for fields in self._results(entries, data):
            for index, finding in self._attribute(fields, data, data.owners):
                key = (finding["severity"], finding["profile"], finding["path"], finding["focus"], finding["value"] or "", finding["component"], finding["shape"])
                findings[index].setdefault(key, finding)
        return [[found[key] for key in sorted(found)] for found in findings]

    def _concept_lines(self, concept: str) -> str:
        text = self._concept_text.get(concept)
        if text is None:
            text = self._concept_text[concept] = "".join(f"{t} .\n" for t in self.vocabulary.membership_triples(concept))
        return text

    # -- results ---------------------------------------------------------------

    def _results(self, entries: list[tuple], data: _Batch):
        """pyshacl-style result fields (rdflib terms) for rudof's results."""
        plan, original, paths, components = self.plan, self.plan.original, self._paths, self._components
        for focus_shown, path_shown, value_shown, shape_iri, component_iri in entries:
            shape = original.get(shape_iri)
            if shape is None:
                if shape_iri in plan.probes:
                    yield from self._probed(plan.probes[shape_iri], focus_shown, value_shown, data)
                    continue
                if shape_iri.startswith(DATATYPE_PROBE):
                    continue
                raise _Unsafe(f"unknown result shape {shape_iri!r}")
            if shape_iri in plan.nested:
                continue
            known = components.get(component_iri)
            if known is None:
                if not component_iri.startswith(_SH):
                    raise _Unsafe(f"unknown component {component_iri!r}")
                known = components[component_iri] = (component_iri[len(_SH):], URIRef(component_iri))
            component, component_node = known
            focus = self._focus(focus_shown, shape, data)
            fields = {_SOURCE_SHAPE: shape, _FOCUS_NODE: focus, _COMPONENT: component_node}
            path = paths[shape_iri]
            if component == "ClosedConstraintComponent":
                if not path_shown or not _looks_like_iri(path_shown):
                    raise _Unsafe(f"closed result without a predicate: {path_shown!r}")
                fields[_RESULT_PATH] = URIRef(path_shown)
                fields[_VALUE] = self._value(value_shown, focus, f"<{path_shown}>", data)
            elif component in _NO_VALUE:
                yield fields
                continue
            elif path is None:
                fields[_VALUE] = focus  # a node shape's value node is its focus node
                if value_shown is not None and not self._same(value_shown, focus, data):
                    raise _Unsafe(f"node shape value {value_shown!r} is not its focus")
            elif isinstance(path, URIRef):
                fields[_VALUE] = self._value(value_shown, focus, f"<{path}>", data)
            else:
                raise _Unsafe(f"{component} result with a value on a complex path")
            if component == "NodeConstraintComponent" and fields[_VALUE] in data.owners:
                # pyshacl nests the results of the node that failed sh:node under this one
                # (sh:detail), and ShaclEngine reports those of them on nodes of the offer.
                raise _Unsafe("sh:node failed on a node of the offer")
            yield fields

    def _focus(self, shown: str, shape, data: _Batch):
        """The focus node rudof shows as ``shown``: a subject of the batch, or a value of a target property."""
        key = (shown, shape)
        found = data.foci.get(key)
        if found is not None:
            return found
        if dict.__contains__(data.owners, shown):
            node = URIRef(shown)
            data.terms.setdefault(node, f"<{shown}>")
        else:
            info = self.info.get(shape)
            candidates = []
            for predicate in info.target_predicates if info else ():
                candidates += [o for _, o in data.lines_of(f"<{predicate}>")]
            if candidates or not _looks_like_iri(shown):
                node = self._pick(shown, candidates, data)
            else:
                node = URIRef(shown)  # a targetClass / targetSubjectsOf / targetNode focus: an IRI
                data.terms.setdefault(node, f"<{shown}>")
        data.foci[key] = node
        return node

    def _value(self, shown: str | None, focus, predicate: str, data: _Batch):
        if shown is None:
            raise _Unsafe("a value was expected")
        focus_text = data.terms.get(focus)
        if focus_text is None or not focus_text.startswith("<"):
            raise _Unsafe("value of a literal focus")
        return self._pick(shown, data.values(focus_text, predicate), data)

    def _pick(self, shown: str, candidates: list[str], data: _Batch):
        matching = {c for c in candidates if _shows(shown, c)}
        if len(matching) != 1:
            raise _Unsafe(f"cannot map {shown!r} back to one term ({len(matching)} candidates)")
        text = matching.pop()
        term = _term(text)
        data.terms.setdefault(term, text)
        return term

    def _same(self, shown: str, term, data: _Batch) -> bool:
        text = data.terms.get(term)
        return text is not None and _shows(shown, text)

    def _probed(self, probe: _Probe, focus_shown: str, value_shown: str | None, data: _Batch):
        """The reference engine's results for one result of a probe shape (see ``_Probe``)."""
        if probe.kind == "compare":
            yield from self._compare(probe, self._focus(focus_shown, probe.shape, data), data)
            return
        focus = self._focus(focus_shown, probe.shape, data)
        node = SH + "NodeConstraintComponent"
        if probe.kind == "node" and probe.path is not None:
            value = self._value(value_shown, focus, f"<{probe.path}>", data)
            yield {SH.sourceShape: probe.shape, SH.focusNode: focus, SH.value: value, SH.sourceConstraintComponent: URIRef(node)}
        elif probe.kind == "node":
            yield {SH.sourceShape: probe.shape, SH.focusNode: focus, SH.value: focus, SH.sourceConstraintComponent: URIRef(node)}
        else:
            for shape, component in probe.failing:
                yield {SH.sourceShape: shape, SH.focusNode: focus, SH.sourceConstraintComponent: URIRef(SH + component)}

    def _compare(self, probe: _Probe, focus, data: _Batch):
        """pyshacl's sh:lessThan(OrEquals) on one focus node, with pyshacl's own comparison code."""
        focus_text = data.terms.get(focus)
        if focus_text is None or not focus_text.startswith("<"):
            raise _Unsafe("comparison on a literal focus")
        values = [_term(v) for v in data.values(focus_text, f"<{probe.path}>")]
        for component, other in probe.comparisons:
            others = [_term(v) for v in data.values(focus_text, f"<{other}>")]
            compare = component._compare_lt if component is LessThanConstraintComponent else component._compare_ltoe
            _, bad = compare(_ValueCollector, values, others, None, focus)
            for value in bad:
                yield {
                    SH.sourceShape: probe.shape,
                    SH.focusNode: focus,
                    SH.value: value,
                    SH.resultPath: probe.path,
                    SH.sourceConstraintComponent: URIRef(str(SH) + component.constraint_name()),
                }

    # -- literals ----------------------------------------------------------------

    def _check_literals(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Typed literals must be canonical, well-typed and read alike by both engines (else _Unsafe).

        Returns N-Triples that ask rudof for its sh:datatype verdict on each
        literal it has not seen yet, and those literals (the verdicts are
        checked against pyshacl's in ``_read_datatype_probes``).
        """
        seen: set[tuple[str, str, str]] = set()
        normal: dict[tuple[str, str], str] = {}
        new: dict[tuple[str, str], None] = {}
        watched = self.plan.pattern_predicates
        datatypes = self.plan.datatypes
        known = self._datatype_ok
        find, rfind = text.find, text.rfind
        position = find('"^^<')
        while position != -1:
            end = find(">", position)
            if text[end + 1:end + 4] != " .\n":  # '"^^<' inside a literal
                position = find('"^^<', position + 4)
                continue
            start = rfind("\n", 0, position) + 1
            subject_end = find(" ", start)
            object_start = find(" ", subject_end + 1) + 1
            datatype = text[position + 4:end]
            escaped = text[object_start + 1:position]
            predicate = text[subject_end + 1:object_start - 1]
            position = find('"^^<', position + 4)
            if text[object_start] != '"':
                raise _Unsafe("a typed literal where the catalogue writes none")
            key = (escaped, datatype, predicate if watched is not None else "")
            if key in seen:
                continue
            seen.add(key)
            lexical = _literal_parts(f'"{escaped}"^^<{datatype}>')[0] if "\\" in escaped else escaped
            rewritten = _rdflib_form(lexical, datatype)
            if rewritten is None:
                raise _Unsafe(f"ill-typed or non-canonical literal {lexical!r}^^<{datatype}>")
            if normal.setdefault((rewritten, datatype), lexical) != lexical:
                raise _Unsafe(f"two literals rdflib reads as one: {rewritten!r}^^<{datatype}>")
            if rewritten != lexical and (watched is None or predicate in watched):
                raise _Unsafe(f"a pattern would read {lexical!r} as rdflib writes it, {rewritten!r}")
            if datatype in datatypes:
                verdict = known.get((lexical, datatype))
                if verdict is None:
                    new[(lexical, datatype)] = None
                elif not verdict:
                    raise _Unsafe(f"rudof and pyshacl disagree on the datatype of {lexical!r}^^<{datatype}>")
        if not new:
            return "", []
        if len(known) > 100_000:
            known.clear()
        probing = list(new)
        text = "".join(
            f"<{DATATYPE_PROBE}{index}> <{DATATYPE_PROBE}{datatype}> {ox.Literal(lexical, datatype=ox.NamedNode(datatype))} .\n"
            for index, (lexical, datatype) in enumerate(probing)
        )
        return text, probing

    def _read_datatype_probes(self, entries: list[tuple], probing: list[tuple[str, str]]) -> None:
        """rudof's sh:datatype verdict on each new literal, compared with pyshacl's (remembered per literal)."""
        failed = {e[0] for e in entries if e[3].startswith(DATATYPE_PROBE)}
        disagree = None
        for index, (lexical, datatype) in enumerate(probing):
            rudof_ok = f"{DATATYPE_PROBE}{index}" not in failed
            agree = self._datatype_ok[(lexical, datatype)] = rudof_ok == _pyshacl_datatype_ok(lexical, datatype)
            if not agree:
                disagree = (lexical, datatype)
        if disagree is not None:
            raise _Unsafe(f"rudof and pyshacl disagree on the datatype of {disagree!r}")


_NO_VALUE = {
    "MinCountConstraintComponent", "MaxCountConstraintComponent", "HasValueConstraintComponent",
    "UniqueLangConstraintComponent", "QualifiedMinCountConstraintComponent", "QualifiedMaxCountConstraintComponent",
}


def _datatype_probe_shapes(datatypes: list[str]) -> str:
    lines = []
    for datatype in datatypes:
        shape, prop = f"<{DATATYPE_PROBE}shape/{datatype}>", f"<{DATATYPE_PROBE}property/{datatype}>"
        lines += [
            f"{shape} <{RDF.type}> <{SH.NodeShape}> .",
            f"{shape} <{SH.targetSubjectsOf}> <{DATATYPE_PROBE}{datatype}> .",
            f"{shape} <{SH.property}> {prop} .",
            f"{prop} <{SH.path}> <{DATATYPE_PROBE}{datatype}> .",
            f"{prop} <{SH.datatype}> <{datatype}> .",
        ]
    return "\n".join(lines) + "\n" if lines else ""


class _ValueCollector:
    """Stands in for a pyshacl constraint component: its results are the failing value nodes."""

    @staticmethod
    def make_v_result(datagraph, focus, value_node=None, **kwargs):
        return value_node


@lru_cache(maxsize=50_000)
def _rdflib_form(lexical: str, datatype: str) -> str | None:
    """The lexical form rdflib gives the literal, or None when it is ill-typed or not Oxigraph's canonical form."""
    if canonical_literal(lexical, datatype).value != lexical:
        return None
    # As the reference engine builds its data graph (catalogue.validation.shacl._to_rdflib).
    literal = Literal(lexical, datatype=URIRef(datatype), normalize=False)
    if literal.ill_typed:
        return None
    return str(literal)


@lru_cache(maxsize=50_000)
def _pyshacl_datatype_ok(lexical: str, datatype: str) -> bool:
    """pyshacl's sh:datatype verdict for a literal of that same datatype (DatatypeConstraintComponent.evaluate)."""
    literal = Literal(lexical, datatype=URIRef(datatype), normalize=False)
    if getattr(literal, "ill_typed", None) is True:
        return False
    return DatatypeConstraintComponent._assert_actual_datatype(None, literal, URIRef(datatype))


def _looks_like_iri(shown: str) -> bool:
    return bool(shown) and not shown.startswith(('"', "_:")) and " " not in shown and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", shown) is not None


_THREADS_STARTED = False  # set once rudof has validated in this process (it then runs thread pools)


def fork_is_safe() -> bool:
    """Whether a child forked now can use rudof: no rudof (or other native) thread pools in this process."""
    if _THREADS_STARTED:
        return False
    try:
        native = len(os.listdir("/proc/self/task"))
    except OSError:
        return True
    return native <= threading.active_count()


@lru_cache(maxsize=1)
def rudof_engine() -> RudofEngine:
    return RudofEngine()
