"""Running the SHACL shapes over a batch of offers and giving each result to its offer.

One pyshacl call validates a whole batch (one graph holding every offer of the
batch and the vocabulary concepts they use); each result is then attributed to
the offers that own its focus node. Because every offer carries its complete
outward closure, a node's outgoing triples are the same in the batch graph as
in the offer alone, so the per-offer reports equal what validating each offer
on its own would give, at a fraction of the cost.

This module runs inside worker processes: it keeps no state but the shapes
and the vocabulary, loaded once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyshacl
import pyshacl.constraints
import pyshacl.shape
from pyshacl.constraints.constraint_component import ConstraintComponent
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from catalogue.namespaces import MCC, MICROCREDENTIAL_SHAPES, RDF_TYPE, curie
from catalogue.resources import shape_files
from catalogue.vocab import Vocabulary, load_vocabulary

from . import messages

# Two adjustments to pyshacl, for speed; neither changes which results it finds.
# 1. It looks up each shape's parameters in a list on every evaluation; the same
#    lookup in a set is several times faster.
pyshacl.shape.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
    frozenset(pyshacl.constraints.ALL_CONSTRAINT_PARAMETERS),
    pyshacl.constraints.CONSTRAINT_PARAMETERS_MAP,
)
# 2. For every result it writes a text description and a generic English message
#    that the catalogue never reads (it builds bilingual messages itself, see
#    catalogue.validation.messages); skipping them halves the cost of a result.
ConstraintComponent.make_v_result_description = lambda self, *args, **kwargs: ""  # type: ignore[method-assign]
ConstraintComponent.make_generic_messages = lambda self, *args, **kwargs: []  # type: ignore[method-assign]

# The three levels of admission (see shapes/README.md): a violation of a "listing"
# shape keeps the offer out; of a "europass" shape, out of the Europass-ready subset;
# of a "microcredential" shape, it names a missing Annex I element.
PROFILE_LISTING = "listing"
PROFILE_EUROPASS = "europass"
PROFILE_MICROCREDENTIAL = "microcredential"
_LEVEL_PROFILES = {MCC + "Listed": PROFILE_LISTING, MCC + "EuropassReady": PROFILE_EUROPASS}


@dataclass(frozen=True)
class ShapeInfo:
    profile: str
    element: str | None  # Annex I element key, for the micro-credential profile
    target_predicates: tuple[URIRef, ...]  # sh:targetObjectsOf of the top-level shape


@dataclass(frozen=True)
class BatchOffer:
    iri: str
    ntriples: str
    concepts: tuple[str, ...]
    references: tuple[str, ...] = ()


class ShaclEngine:
    def __init__(self, vocabulary: Vocabulary | None = None):
        self.vocabulary = vocabulary or load_vocabulary()
        self.shapes = Graph(store="SimpleMemory")
        for path in shape_files():
            self.shapes.parse(path, format="turtle")
        self.info = self._index_shapes()
        self._facts: dict[Any, tuple] = {}
        self.element_keys = {e.iri: e.key for e in self.vocabulary.annex_elements()}

    # -- shapes ----------------------------------------------------------------

    def _index_shapes(self) -> dict[Any, ShapeInfo]:
        """For every shape node (nested ones too): its profile, Annex I element and value targets."""
        info: dict[Any, ShapeInfo] = {}
        for top in set(self.shapes.subjects(RDF.type, SH.NodeShape)):
            profile = PROFILE_MICROCREDENTIAL if str(top).startswith(MICROCREDENTIAL_SHAPES) else self._level(top, PROFILE_LISTING)
            element = self.shapes.value(top, URIRef(MCC + "annexElement"))
            targets = tuple(self.shapes.objects(top, SH.targetObjectsOf))
            for node in self._members(top):
                if node not in info or node == top:
                    # A property shape may sit at another level than its class shape
                    # (a class shape's title is needed for listing, its closedness only for Europass).
                    own = profile if profile == PROFILE_MICROCREDENTIAL else self._level(node, profile)
                    info[node] = ShapeInfo(own, str(element) if element else None, targets)
        return info

    def _level(self, shape, default: str) -> str:
        level = self.shapes.value(shape, URIRef(MCC + "level"))
        if level is None:
            return default
        if str(level) not in _LEVEL_PROFILES:
            raise ValueError(f"Shape {shape} has an unknown mcc:level {level}: use mcc:Listed or mcc:EuropassReady.")
        return _LEVEL_PROFILES[str(level)]

    def _members(self, shape) -> list[Any]:
        found = [shape]
        for child in self.shapes.objects(shape, SH.property):
            found.append(child)
        for logical in (SH["or"], SH["and"], SH.xone):
            for lst in self.shapes.objects(shape, logical):
                found.extend(Collection(self.shapes, lst))
        return found

    # -- validation ------------------------------------------------------------

    def validate(self, batch: list[BatchOffer]) -> list[list[dict[str, Any]]]:
        """Findings for each offer of ``batch``, in batch order, sorted the same way every time."""
        data, owners = self._data_graph(batch)
        _, results, _ = pyshacl.validate(
            data,
            shacl_graph=self.shapes,
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            advanced=False,
        )
        findings: list[dict[tuple, dict[str, Any]]] = [{} for _ in batch]
        for result in results.subjects(RDF.type, SH.ValidationResult):
            fields = dict(results.predicate_objects(result))
            for index, finding in self._attribute(fields, data, owners):
                key = (finding["severity"], finding["profile"], finding["path"], finding["focus"], finding["value"] or "", finding["component"], finding["shape"])
                findings[index].setdefault(key, finding)
        return [[found[key] for key in sorted(found)] for found in findings]

    def _data_graph(self, batch: list[BatchOffer]) -> tuple[Graph, dict[Any, list[int]]]:
        graph = Graph()
        add = graph.add
        convert = _Converter()
        owners: dict[Any, list[int]] = {}
        concepts: set[str] = set()
        for index, offer in enumerate(batch):
            references = {URIRef(r) for r in offer.references}
            for triple in ox.parse(offer.ntriples.encode(), format=ox.RdfFormat.N_TRIPLES):
                subject = convert(triple.subject)
                add((subject, convert(triple.predicate), convert(triple.object)))
                if subject not in references:
                    holders = owners.setdefault(subject, [])
                    if not holders or holders[-1] != index:
                        holders.append(index)
            concepts.update(offer.concepts)
        for concept in concepts:
            for triple in self.vocabulary.membership_triples(concept):
                add((convert(triple.subject), convert(triple.predicate), convert(triple.object)))
        return graph, owners

    def _shape_facts(self, shape) -> tuple[ShapeInfo, str, dict[str, str], str | None, str, str]:
        """What every result of ``shape`` shares: profile, severity, messages, path. Cached per shape."""
        facts = self._facts.get(shape)
        if facts is None:
            info = self.info.get(shape) or ShapeInfo(PROFILE_LISTING, None, ())
            severity = "warning" if self.shapes.value(shape, SH.severity) == SH.Warning else "violation"
            explicit = {
                m.language: str(m) for m in self.shapes.objects(shape, SH.message) if isinstance(m, Literal) and m.language
            }
            path_iri, path_text = _path(self.shapes, self.shapes.value(shape, SH.path))
            name = curie(str(shape)) if isinstance(shape, URIRef) else _shape_name(self.shapes, shape)
            facts = self._facts[shape] = (info, severity, explicit, path_iri, path_text, name)
        return facts

    def _attribute(self, fields: dict, data: Graph, owners: dict[Any, list[int]]):
        info, severity, explicit, path_iri, path_text, shape_name = self._shape_facts(fields.get(SH.sourceShape))
        focus = fields.get(SH.focusNode)
        value = fields.get(SH.value)
        if SH.resultPath in fields and not path_text:
            path_iri, path_text = _path(self.shapes, fields[SH.resultPath])
        if focus in owners:
            places = [(focus, path_iri, path_text, value)]
        else:
            # A value shape (sh:targetObjectsOf): report it on the nodes that use the bad value.
            places = []
            for predicate in info.target_predicates:
                for subject in data.subjects(predicate, focus):
                    nested = f"{curie(str(predicate))}/{path_text}" if path_text else curie(str(predicate))
                    places.append((subject, str(predicate), nested, focus))
        component = str(fields.get(SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        for subject, p_iri, p_text, bad in places:
            display_value = _display(bad) if bad is not None and bad != subject else None
            text = explicit or messages.compose(
                self.vocabulary, component, p_iri, p_text, str(subject), _class_of(data, subject), display_value
            )
            finding = {
                "severity": severity,
                "profile": info.profile,
                "element": self.element_keys.get(info.element) if info.element else None,
                "path": p_text,
                "value": display_value,
                "focus": str(subject),
                "component": component,
                "shape": shape_name,
                "messages": text,
            }
            for index in owners.get(subject, ()):
                yield index, finding


class _Converter:
    """pyoxigraph terms to rdflib terms, remembering each conversion for the batch."""

    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}

    def __call__(self, term):
        converted = self.cache.get(term)
        if converted is None:
            converted = self.cache[term] = _to_rdflib(term)
        return converted


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    # Not normalised: rdflib would rewrite "P4W" (not an XSD duration) as "P28D" and
    # hide it from sh:pattern; the shapes must see the lexical form the store keeps.
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def _path(results: Graph, node) -> tuple[str | None, str]:
    if node is None:
        return None, ""
    if isinstance(node, URIRef):
        return str(node), curie(str(node))
    if (node, RDF.first, None) in results:
        parts = [_path(results, p) for p in Collection(results, node)]
        return parts[0][0], "/".join(p[1] for p in parts)
    alternatives = results.value(node, SH.alternativePath)
    if alternatives is not None:
        parts = [_path(results, p) for p in Collection(results, alternatives)]
        return parts[0][0], "(" + "|".join(p[1] for p in parts) + ")"
    inverse = results.value(node, SH.inversePath)
    if inverse is not None:
        inner = _path(results, inverse)
        return inner[0], "^" + inner[1]
    return None, str(node)


def _display(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = str(term)
        if len(text) > 200:
            text = text[:200] + "…"
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype and term.datatype != XSD.string:
            return f'"{text}"^^{curie(str(term.datatype))}'
        return f'"{text}"'
    return str(term)


def _class_of(data: Graph, node) -> str | None:
    for cls in data.objects(node, URIRef(RDF_TYPE)):
        return str(cls)
    return None


def _shape_name(shapes: Graph, node) -> str:
    """Blank property shapes have no name; name them by their parent shape and path."""
    parent = shapes.value(None, SH.property, node)
    path = shapes.value(node, SH.path)
    parent_name = curie(str(parent)) if isinstance(parent, URIRef) else "shape"
    return f"{parent_name}[{curie(str(path))}]" if isinstance(path, URIRef) else parent_name


@lru_cache(maxsize=1)
def engine() -> ShaclEngine:
    return ShaclEngine()
