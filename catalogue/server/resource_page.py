"""A plain HTML page listing a resource's statements: what a browser gets for any RDF document the server writes."""

from __future__ import annotations

import pyoxigraph as ox

from catalogue.namespaces import RDF_TYPE, curie
from catalogue.templates import render


def resource_page(title: str, iri: str, path: str, triples: list[ox.Triple], scope: str = "public", formats: bool = True) -> str:
    """The statements of ``triples``, those about ``iri`` first; ``formats`` links the document's other formats."""
    rows = [
        {
            "subject": t.subject.value,
            "predicate": curie(t.predicate.value),
            "object": t.object.value,
            "object_is_iri": isinstance(t.object, ox.NamedNode),
            "language": getattr(t.object, "language", None),
        }
        for t in sorted(triples, key=lambda t: (t.subject.value != iri, t.subject.value, t.predicate.value != RDF_TYPE, t.predicate.value))
    ]
    return render("api/resource.html", lang="en", title=title, iri=iri, rows=rows, path=path, scope=scope, formats=formats)
