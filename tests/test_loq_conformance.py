"""What the catalogue publishes conforms to the official Europass LOQ shapes (ELM v3).

The official shapes live in ../shared/elm (they are not redistributed with the
project); the test is skipped, saying so, when that folder is not beside the checkout.
"""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph

from catalogue.vocab import load_vocabulary

from .conftest import SHARED

LOQ = SHARED / "elm" / "shapes"
pytestmark = pytest.mark.skipif(
    not (LOQ / "LOQ-constraints.ttl").exists(),
    reason="the official LOQ shapes are expected in ../shared/elm/shapes beside the checkout",
)


@pytest.fixture()
def loq_validate(monkeypatch):
    """pyshacl with the `regex` module in place of `re`: the LOQ patterns use Java syntax (\\p{L}, inline (?i))."""
    regex = pytest.importorskip("regex")
    import pyshacl
    import pyshacl.constraints.core.string_based_constraints as string_constraints

    monkeypatch.setattr(string_constraints, "re", regex)
    shapes = Graph()
    shapes.parse(LOQ / "LOQ-constraints.ttl")
    shapes.parse(LOQ / "LOQ-constraints-mdr.ttl")

    def run(data: Graph):
        return pyshacl.validate(data, shacl_graph=shapes, inference="none", abort_on_first=False)

    return run


def test_published_example_offers_conform_to_loq(cli, example_files, loq_validate):
    for path in example_files:
        assert cli("load", str(path), "--source", path.stem).exit_code == 0
    stats = json.loads(cli("stats", "--format", "json").output)
    sources = [g for g in stats["graphs"] if "/graph/source/" in g]
    assert len(sources) == 3
    arguments = ["export", "--format", "ntriples", "--no-vocabulary", "--output", "published.nt"]
    assert cli(*arguments).exit_code == 0
    exported = ox.Store()
    exported.load(path="published.nt", format=ox.RdfFormat.N_TRIPLES)
    # LOQ checks concept type and scheme in the data graph: add them, as its README says.
    vocabulary = load_vocabulary()
    used = {q.object.value for q in exported if isinstance(q.object, ox.NamedNode) and vocabulary.is_concept(q.object.value)}
    for concept in used:
        exported.extend(ox.Quad(t.subject, t.predicate, t.object) for t in vocabulary.membership_triples(concept, with_labels=True))
    # LOQ's vocabulary for records is our own; only the offers and what they link to are checked.
    offers_only = io.BytesIO()
    ox.serialize(
        (q.triple for q in exported if "/record/" not in getattr(q.subject, "value", "")),
        offers_only,
        ox.RdfFormat.N_TRIPLES,
    )
    data = Graph()
    data.parse(data=offers_only.getvalue().decode(), format="nt")
    offers = len(set(data.subjects(predicate=None, object=None)))
    assert offers > 100
    conforms, _, text = loq_validate(data)
    assert conforms, text[:3000]
