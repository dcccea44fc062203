"""The Europass-ready subset: its own dump, VoID subset and DCAT distribution, passing the official LOQ
shapes under two SHACL engines (pyshacl and Apache Jena's), with listed-only offers left out of it.

The official shapes live in ../shared/elm (they are not redistributed with the project); Jena comes
from Debian (libapache-jena-java). Each part is skipped, saying so, when what it needs is not there.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from .conftest import SHARED

LOQ = SHARED / "elm" / "shapes"
JAVA_LIBRARIES = Path("/usr/share/java")
# Jena's command-line SHACL validator and what it needs, as Debian packages them.
JENA_JARS = (
    "jena-shacl", "jena-cmds", "jena-arq", "jena-core", "jena-base", "jena-iri", "slf4j-api", "slf4j-nop",
    "commons-lang3", "commons-io", "commons-codec", "commons-compress", "commons-csv", "jackson-core",
    "jackson-databind", "jackson-annotations", "gson", "thrift", "dexx.collection", "httpclient", "httpcore",
    "jsonld-java", "protobuf", "titanium-json-ld", "guava",
)
needs_loq = pytest.mark.skipif(not (LOQ / "LOQ-constraints.ttl").exists(), reason="the official LOQ shapes are expected in ../shared/elm/shapes")


@pytest.fixture()
def published(cli, example_files, tmp_path):
    """The bundled examples plus one offer that is listed but not Europass-ready (no web page of its own)."""
    for path in example_files:
        assert cli("load", str(path), "--source", path.stem).exit_code == 0
    listed_only = tmp_path / "listed-only.ttl"
    text = example_files[0].read_text(encoding="utf-8")
    listed_only.write_text(_without_homepages(text), encoding="utf-8")
    assert cli("load", str(listed_only), "--source", "listed-only").exit_code == 0
    current = (Path("data") / "published" / "CURRENT").read_text(encoding="utf-8").strip()
    return Path("data") / "published" / current


def _without_homepages(turtle: str) -> str:
    """The same offers under other IRIs, without foaf:homepage (a description and the provider's page remain)."""
    graph = ox.Store()
    graph.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    graph.update("DELETE { ?o <http://xmlns.com/foaf/0.1/homepage> ?h } WHERE { ?o a <http://data.europa.eu/snb/model/elm/LearningOpportunity> ; <http://xmlns.com/foaf/0.1/homepage> ?h }")
    text = ox.serialize(graph, format=ox.RdfFormat.N_QUADS).decode()
    return text.replace("/lo/", "/lo-listed/")


def _subset(generation: Path) -> Path:
    path = generation / "dumps" / "europass-ready.nt.gz"
    target = path.with_suffix("")
    target.write_bytes(gzip.decompress(path.read_bytes()))
    return target


def test_the_subset_holds_exactly_the_europass_ready_offers(published, cli):
    meta = json.loads((published / "meta.json").read_text(encoding="utf-8"))
    subset = ox.Store()
    subset.load(path=str(_subset(published)), format=ox.RdfFormat.N_TRIPLES)
    in_subset = {r["o"].value for r in subset.query("SELECT ?o WHERE { ?o a <http://data.europa.eu/snb/model/elm/LearningOpportunity> ; <http://purl.org/dc/terms/title> ?t }")}
    counts = json.loads(cli("stats", "--format", "json").output)["sources"]
    assert in_subset, "no Europass-ready offer in the subset"
    assert meta["europass ready offers"] == len(in_subset)
    # The offers without a web page of their own are published (listed), and only they stay out of the subset.
    assert counts["listed-only"]["offers"] == counts[example_source(counts)]["offers"] > 0
    assert not any("/lo-listed/" in iri for iri in in_subset)
    assert len(in_subset) == sum(c["offers"] for s, c in counts.items() if s != "listed-only")


def example_source(counts: dict) -> str:
    return sorted(s for s in counts if s != "listed-only")[0]


def test_the_subset_is_described_as_void_subset_and_dcat_distribution(published):
    from catalogue.config import load_config
    from catalogue.publish.describe import dcat_catalogue, void_description

    meta = json.loads((published / "meta.json").read_text(encoding="utf-8"))
    config = load_config()
    described = ox.Store()
    described.extend(ox.Quad(t.subject, t.predicate, t.object) for t in void_description(config, meta) + dcat_catalogue(config, meta))
    void = "http://rdfs.org/ns/void#"
    rows = list(described.query(f"SELECT ?s ?dump ?n WHERE {{ ?d <{void}subset> ?s . ?s <{void}dataDump> ?dump ; <{void}classPartition>/<{void}entities> ?n }}"))
    assert [r["dump"].value.rsplit("/", 1)[-1] for r in rows] == ["europass-ready.nt.gz"]
    assert int(rows[0]["n"].value) >= 1
    titles = {r["t"].value for r in described.query("SELECT ?t WHERE { ?x a <http://www.w3.org/ns/dcat#Distribution> ; <http://purl.org/dc/terms/title> ?t }")}
    assert "Europass-ready offers, N-Triples, gzip-compressed file" in titles


@needs_loq
def test_the_subset_passes_the_official_loq_shapes_under_pyshacl(published, monkeypatch):
    regex = pytest.importorskip("regex")
    import pyshacl
    import pyshacl.constraints.core.string_based_constraints as string_constraints

    # The LOQ patterns use Java syntax (\p{L}, inline (?i)), which Python's re does not read.
    monkeypatch.setattr(string_constraints, "re", regex)
    shapes = Graph().parse(LOQ / "LOQ-constraints.ttl").parse(LOQ / "LOQ-constraints-mdr.ttl")
    data = Graph().parse(_subset(published), format="nt")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text[:3000]


def _jena_classpath(workdir: Path) -> str | None:
    jars = [JAVA_LIBRARIES / f"{name}.jar" for name in JENA_JARS]
    if shutil.which("java") is None or not all(jar.exists() for jar in jars):
        return None
    # Debian's jena-core moves Xerces' classes to the package "xerces" but leaves its message files under
    # org/apache/jena/ext/xerces: without them every regular expression facet fails ("internal error").
    resources = workdir / "jena-resources"
    with zipfile.ZipFile(JAVA_LIBRARIES / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                target = resources / "xerces" / name[len("org/apache/jena/ext/xerces/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(j) for j in jars] + [str(resources)])


def _jena_validate(classpath: str, shapes: Path, data: Path) -> Graph:
    done = subprocess.run(
        ["java", "-cp", classpath, "shacl.shacl", "validate", "--shapes", str(shapes), "--data", str(data)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Graph().parse(data=done.stdout, format="turtle")


@needs_loq
def test_the_subset_passes_the_official_loq_shapes_under_jena(published, tmp_path):
    classpath = _jena_classpath(tmp_path)
    if classpath is None:
        pytest.skip("Apache Jena (Debian libapache-jena-java) and java are needed")
    # Jena reads one shapes file: the two LOQ files joined (blank nodes kept apart) as N-Triples.
    shapes = tmp_path / "loq.nt"
    Graph().parse(LOQ / "LOQ-constraints.ttl").parse(LOQ / "LOQ-constraints-mdr.ttl").serialize(shapes, format="nt", encoding="utf-8")
    subset = _subset(published)
    sh = "http://www.w3.org/ns/shacl#"
    report = _jena_validate(classpath, shapes, subset)
    conforms = {str(o) for o in report.objects(None, ox_uri(sh + "conforms"))}
    assert conforms == {"true"}, report.serialize(format="turtle")[:3000]
    # The same engine on the same data with one duration in weeks: Jena rejects it, as the catalogue does.
    broken = tmp_path / "broken.nt"
    lines = subset.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if "/elm/duration> " in line)
    lines[index] = lines[index].rsplit(' "', 1)[0] + ' "P4W"^^<http://www.w3.org/2001/XMLSchema#duration> .'
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejected = _jena_validate(classpath, shapes, broken)
    assert {str(o) for o in rejected.objects(None, ox_uri(sh + "conforms"))} == {"false"}
    # (its message, not sh:value: rdflib would read the value back as "P28D")
    assert any("P4W" in str(m) for m in rejected.objects(None, ox_uri(sh + "resultMessage")))


def ox_uri(iri: str):
    from rdflib import URIRef

    return URIRef(iri)


def test_the_subset_is_walked_in_slices_and_each_statement_written_once(monkeypatch):
    """Offers sharing a provider, walked one per slice: the provider's statements are written once; an offer
    pointed to but not in the subset keeps only its type; a concept brings its scheme and labels, once."""
    from catalogue.publish import europass_subset
    from catalogue.store.oxigraph import OxigraphStore
    from catalogue.vocab import load_vocabulary

    elm = "http://data.europa.eu/snb/model/elm/"
    ex = "https://provider.example/"
    isced = "http://data.europa.eu/snb/isced-f/0613"
    graph = "http://127.0.0.1:8000/graph/source/one"
    turtle = f"""
        @prefix elm: <{elm}> . @prefix ex: <{ex}> .
        ex:a a elm:LearningOpportunity ; elm:providedBy ex:org ; elm:relatedLearningOpportunity ex:c, ex:b ; elm:thematicArea <{isced}> .
        ex:b a elm:LearningOpportunity ; elm:providedBy ex:org ; elm:learningOutcome ex:b-outcome ; elm:thematicArea <{isced}> .
        ex:b-outcome elm:title "Outcome" .
        ex:org a elm:Organisation ; elm:legalName "Provider" ; elm:location ex:place .
        ex:place elm:geographicName "Umeå" .
        ex:c a elm:LearningOpportunity ; elm:title "Listed only" ; elm:providedBy ex:other .
        ex:other elm:legalName "Not in the subset" .
    """
    store = OxigraphStore.open(None, "http://127.0.0.1:8000/")
    loaded = ox.Store()
    loaded.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    store.store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)) for q in loaded)
    ready = [ex + "a", ex + "b"]
    whole = list(europass_subset.subset_triples(store, graph, ready, load_vocabulary()))
    monkeypatch.setattr(europass_subset, "WALK_SLICE", 1)
    sliced = list(europass_subset.subset_triples(store, graph, ready, load_vocabulary()))
    assert len(sliced) == len(set(sliced)) and set(sliced) == set(whole)
    kept = ox.Store()
    kept.extend(ox.Quad(t.subject, t.predicate, t.object) for t in sliced)
    subjects = {q.subject.value for q in kept}
    assert {ex + "a", ex + "b", ex + "b-outcome", ex + "org", ex + "place", isced} <= subjects
    assert ex + "other" not in subjects
    assert [(q.predicate.value, q.object.value) for q in kept.quads_for_pattern(ox.NamedNode(ex + "c"), None, None)] == [
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", elm + "LearningOpportunity")]
    assert list(kept.quads_for_pattern(ox.NamedNode(isced), ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme"), None))
    # The same walk over a remote store's SPARQL lookups (the base class's queries) gives the same statements.
    from catalogue.store.base import CatalogueStore

    assert set(CatalogueStore.offers_among(store, graph, [ex + "b", ex + "c", ex + "org"])) == {ex + "b", ex + "c"}
    assert CatalogueStore.shared_nodes(store, graph, [ex + "org", ex + "place", ex + "b-outcome"]) == {ex + "org"}
    assert sorted(map(str, CatalogueStore.subjects_triples(store, graph, [ex + "org"]))) == sorted(
        map(str, store.subjects_triples(graph, [ex + "org"])))


def test_a_source_whose_offers_are_all_ready_gives_the_statements_the_walk_gives(published):
    """A source with every offer Europass-ready is written from its whole graph (the N-Triples the full dumps are
    made from); the subset must hold exactly what walking its offers in the store gives, each statement once."""
    from catalogue.config import load_config
    from catalogue.publish import europass_subset
    from catalogue.publish.dumps import GraphPart, Part
    from catalogue.publish.offer_data import offer_listing
    from catalogue.store.oxigraph import OxigraphStore
    from catalogue.vocab import load_vocabulary

    store = OxigraphStore.open(published / "store", load_config().base, read_only=True)
    listing = offer_listing(store)
    dump = europass_subset.europass_dump(store, listing)
    whole = [part for part in dump.parts if isinstance(part, GraphPart)]
    walked = [part for part in dump.parts if isinstance(part, Part)]
    # The examples are all ready; the copy without web pages has none ready, so it has no part at all.
    assert len(whole) == len({s for _, s, _ in listing}) - 1 and not walked
    for part in whole:
        lines = published / f"{part.graph.rsplit('/', 1)[-1]}.nt"
        with lines.open("wb") as out:
            store.write_ntriples(part.graph, out)
        with (published / "whole.nt").open("wb") as out:
            written = part.write(lines, out)
        from_graph = [ox.Triple(q.subject, q.predicate, q.object)
                      for q in ox.parse(path=str(published / "whole.nt"), format=ox.RdfFormat.N_TRIPLES)]
        iris = sorted(i for i, s, _ in listing if store.source_graph(s) == part.graph)
        walk = list(europass_subset.subset_triples(store, part.graph, iris, load_vocabulary()))
        assert written == len(from_graph) == len(set(from_graph)) == len(walk)
        assert set(from_graph) == set(walk)
    store.close()
