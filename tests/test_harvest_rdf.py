"""The rdf harvester and the harvest pipeline against a real HTTP server on 127.0.0.1, faults included.

After every fault the offers harvested before are still in the store.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from .conftest import BASE, EXAMPLES
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

NORRSUNDA = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
NORRSUNDA_OFFERS = 7


@pytest.fixture()
def server():
    with FeedServer() as running:
        yield running


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = "prov", "Provider", "rdf"


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Catalogue(tmp_path, validator)


def test_turtle_over_http_keeps_provider_iris(server, catalogue):
    url = server.add("/offers.ttl", NORRSUNDA, "text/turtle")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "published", outcome.run.message
    assert outcome.run.published == NORRSUNDA_OFFERS and outcome.run.http_status == 200
    assert all(o.startswith("https://data.norrsunda.example/lo/") for o in catalogue.offers())
    assert len(catalogue.offers()) == NORRSUNDA_OFFERS


def test_an_unchanged_source_costs_one_conditional_request(server, catalogue):
    url = server.add("/offers.ttl", NORRSUNDA, "text/turtle")
    catalogue.harvest(url)
    second = catalogue.harvest(url)
    assert second.run.outcome == "unchanged"
    assert second.run.published == NORRSUNDA_OFFERS
    assert server.hits("/offers.ttl") == 2
    assert server.requests[-1][2].get("If-None-Match")


def test_content_negotiation_picks_json_ld(server, catalogue):
    document = (EXAMPLES.parent / "feeds" / "rdf" / "hochschule-rheinau.jsonld").read_text(encoding="utf-8")
    url = server.add("/catalogue", document, "application/ld+json")
    outcome = catalogue.harvest(url)
    assert outcome.run.published == 5
    assert "text/turtle" in server.requests[0][2]["Accept"]


def test_a_dcat_catalogue_leads_to_its_distributions(server, catalogue):
    first, second = _split_offers(NORRSUNDA)
    a = server.add("/part1.ttl", first, "text/turtle")
    b = server.add("/part2.nt", _as(second, ox.RdfFormat.N_TRIPLES), "application/n-triples")
    catalog = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <{server.url('/catalog')}> a dcat:Catalog ; dcat:dataset <#offers> .
    <#offers> a dcat:Dataset ; dcat:distribution <#d1> , <#d2> , <#d3> .
    <#d1> a dcat:Distribution ; dcat:downloadURL <{a}> ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/turtle> .
    <#d2> a dcat:Distribution ; dcat:accessURL <{b}> .
    <#d3> a dcat:Distribution ; dcat:downloadURL <{server.url('/report.pdf')}> ; dcat:mediaType <http://www.iana.org/assignments/media-types/application/pdf> ."""
    outcome = catalogue.harvest(server.add("/catalog", catalog, "text/turtle"))
    assert outcome.run.published == NORRSUNDA_OFFERS, outcome.run.message
    assert server.hits("/report.pdf") == 0


@pytest.mark.parametrize("link", ["hydra", "tree"])
def test_paged_collections_are_followed_to_the_end(server, catalogue, link):
    pages = _pages(server, NORRSUNDA, 3, link)
    outcome = catalogue.harvest(pages[0])
    assert outcome.run.published == NORRSUNDA_OFFERS
    assert all(server.hits(f"/page{i}.ttl") == 1 for i in range(1, 4))


def test_unchanged_pages_are_not_parsed_again_and_their_links_still_followed(server, catalogue, tmp_path, validator):
    """Three pages, harvested again unchanged: each answers 304 and none is parsed (each page's link to the next is
    remembered from when it was). Then the last page changes: the first page describes nodes the last one's offers
    use, so every page is read, and the catalogue holds exactly what a fresh harvest of the same pages gives."""
    pages = _pages(server, NORRSUNDA, 3, "hydra")
    first = catalogue.harvest(pages[0])
    assert first.run.outcome == "published" and first.records_read == 3
    again = catalogue.harvest(pages[0])
    assert again.run.outcome == "unchanged" and again.records_read == 0 and again.records_unchanged == 3
    assert all(server.requests[-1 - i][2].get("If-None-Match") for i in range(3))  # each page asked conditionally
    page3 = server.routes["/page3.ttl"].body.decode("utf-8")
    title = next(line for line in page3.splitlines() if "/dc/terms/title> \"" in line)
    server.add("/page3.ttl", page3.replace(title, title.replace('> "', '> "Reviderad: ', 1)), "text/turtle")
    changed = catalogue.harvest(pages[0])
    assert changed.run.outcome == "published", changed.run.message
    assert (changed.records_read, changed.records_unchanged) == (3, 0)
    assert all(server.hits(f"/page{i}.ttl") == 3 for i in range(1, 4))
    fresh = Catalogue(tmp_path / "fresh", validator)
    assert fresh.harvest(pages[0]).run.outcome == "published"
    graph = catalogue.store.source_graph(Catalogue.source_id)
    assert set(map(str, catalogue.store.triples(graph))) == set(map(str, fresh.store.triples(graph)))
    assert any("Reviderad: " in str(t) for t in catalogue.store.triples(graph))


def test_a_page_that_breaks_off_keeps_the_offers_it_had(server, catalogue):
    pages = _pages(server, NORRSUNDA, 3, "hydra")
    catalogue.harvest(pages[0])
    server.fault("/page2.ttl", "status", status=503)
    outcome = catalogue.harvest(pages[0])
    assert outcome.run.outcome == "partial", outcome.run.message
    assert outcome.run.carried_over > 0 and outcome.errors
    assert len(catalogue.offers()) == NORRSUNDA_OFFERS


def _harvested_then(server, catalogue, fault: str, **options):
    url = server.add("/offers.ttl", NORRSUNDA, "text/turtle")
    assert catalogue.harvest(url).run.outcome == "published"
    before = catalogue.offers()
    server.fault("/offers.ttl", fault, **options)
    return url, before


@pytest.mark.parametrize(
    "fault, options, words",
    [
        ("status", {"status": 404}, "404"),
        ("status", {"status": 500}, "500"),
        ("redirect-loop", {}, "redirect"),
        ("truncate", {"body": NORRSUNDA.encode()[:2000]}, "truncated"),
        ("huge", {"size": 60 * 1024 * 1024}, "limit"),
        ("huge", {"size": 60 * 1024 * 1024, "announce": False}, "limit"),
    ],
    ids=["404", "500", "redirect-loop", "truncated", "50MB-announced", "50MB-chunked"],
)
def test_http_faults_fail_the_run_and_keep_the_offers(server, catalogue, fault, options, words):
    url, before = _harvested_then(server, catalogue, fault, **options)
    start = time.monotonic()
    outcome = catalogue.harvest(url)
    assert time.monotonic() - start < 20
    assert outcome.run.outcome == "failed"
    assert words in outcome.run.message and "kept" in outcome.run.message
    assert catalogue.offers() == before


def test_a_hanging_server_times_out(server, catalogue):
    url, before = _harvested_then(server, catalogue, "hang", seconds=30)
    start = time.monotonic()
    outcome = catalogue.harvest(url, timeout=1.5)
    assert time.monotonic() - start < 10
    assert outcome.run.outcome == "failed" and "answer within" in outcome.run.message
    assert catalogue.offers() == before


def test_a_slow_drip_is_cut_off_by_the_total_time_limit(server, catalogue):
    url, before = _harvested_then(server, catalogue, "slow", body=NORRSUNDA.encode()[:400], interval=0.5)
    start = time.monotonic()
    outcome = catalogue.harvest(url, timeout=2)
    assert time.monotonic() - start < 10
    assert outcome.run.outcome == "failed"
    assert catalogue.offers() == before


def test_transient_errors_are_retried(server, catalogue):
    url = server.fault("/offers.ttl", "flaky", times=2, body=NORRSUNDA.encode(), content_type="text/turtle")
    outcome = catalogue.harvest(url, retries=2)
    assert outcome.run.outcome == "published" and outcome.run.published == NORRSUNDA_OFFERS
    assert server.hits("/offers.ttl") == 3


@pytest.mark.parametrize(
    "body, content_type, words",
    [
        (NORRSUNDA.replace("dcterms:title", "dcterms:title <<<", 1), "text/turtle", "line"),
        (NORRSUNDA + "\n# served with the wrong media type\n", "application/rdf+xml", "RDF/XML"),
        ("<html><body>Our courses</body></html>", "text/html", "RDF format"),
    ],
    ids=["malformed-turtle", "wrong-content-type", "html-page"],
)
def test_unparsable_documents_fail_the_run(server, catalogue, body, content_type, words):
    url = server.add("/offers", NORRSUNDA, "text/turtle")
    catalogue.harvest(url)
    before = catalogue.offers()
    server.add("/offers", body, content_type)
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "failed" and words in outcome.run.message
    assert catalogue.offers() == before


XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"> <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"> <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcterms="http://purl.org/dc/terms/">
 <rdf:Description rdf:about="https://x.example/a"><dcterms:title>&i;</dcterms:title></rdf:Description>
</rdf:RDF>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcterms="http://purl.org/dc/terms/">
 <rdf:Description rdf:about="https://x.example/a"><dcterms:title>&secret;</dcterms:title></rdf:Description>
</rdf:RDF>"""


@pytest.mark.parametrize("attack, words", [(XML_BOMB, "billion laughs"), (XXE, "external")], ids=["xml-bomb", "xxe"])
def test_xml_attacks_are_refused_quickly(server, catalogue, attack, words):
    url = server.add("/offers.rdf", _as(NORRSUNDA, ox.RdfFormat.RDF_XML), "application/rdf+xml")
    catalogue.harvest(url)
    before = catalogue.offers()
    server.add("/offers.rdf", attack, "application/rdf+xml")
    start = time.monotonic()
    outcome = catalogue.harvest(url)
    assert time.monotonic() - start < 5
    assert outcome.run.outcome == "failed" and words in outcome.run.message
    assert catalogue.offers() == before
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "never-there"
    dump = catalogue.store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", default_graphs=[])
    assert not any(hostname and hostname in r["o"].value for r in dump)


def test_a_feed_that_suddenly_is_empty_keeps_the_offers(server, catalogue):
    url, before = _harvested_then(server, catalogue, "status", status=200)
    server.add("/offers.ttl", "@prefix ex: <https://x.example/> .\nex:a ex:b ex:c .\n", "text/turtle")
    outcome = catalogue.harvest(url)
    # The document is reported as holding no offer, and what it gave before is carried over.
    assert outcome.run.outcome == "partial" and outcome.run.carried_over == len(before)
    [error] = outcome.errors
    assert error.code == "no-learning-opportunity" and "types found: none (1 resources)" in error.message
    assert catalogue.offers() == before


def test_a_feed_that_shrinks_a_lot_is_held_until_accepted(server, catalogue):
    url = server.add("/offers.ttl", NORRSUNDA, "text/turtle")
    catalogue.harvest(url)
    server.add("/offers.ttl", _keep_offers(NORRSUNDA, 2), "text/turtle")
    held = catalogue.harvest(url)
    assert held.run.outcome == "held" and "--accept-shrink" in held.run.message
    assert len(catalogue.offers()) == NORRSUNDA_OFFERS
    accepted = catalogue.harvest(url, accept_shrink=True)
    assert accepted.run.outcome == "published" and accepted.run.withdrawn == 5
    assert len(catalogue.offers()) == 2
    # Three runs, however quickly they follow each other: none overwrites another's record.
    assert [r.outcome for r in catalogue.state.runs("prov")] == ["published", "held", "published"]


def test_invalid_offers_are_quarantined_with_their_report(server, catalogue):
    broken = NORRSUNDA.replace('elm:startDate "2027-08-30T00:00:00+02:00"^^xsd:dateTime', 'elm:startDate "2027-08-30"^^xsd:date', 1)
    outcome = catalogue.harvest(server.add("/offers.ttl", broken, "text/turtle"))
    assert outcome.run.quarantined == 1 and outcome.run.published == NORRSUNDA_OFFERS - 1
    assert catalogue.quarantined() == {"https://data.norrsunda.example/lo/2027-data-analysis-python"}
    assert "https://data.norrsunda.example/lo/2027-data-analysis-python" not in catalogue.offers()


def test_runs_are_recorded_as_provenance_and_records_keep_first_seen(server, catalogue):
    url = server.add("/offers.ttl", NORRSUNDA, "text/turtle")
    first = catalogue.harvest(url)
    time.sleep(1.1)
    server.add("/offers.ttl", NORRSUNDA.replace('"Data analysis with Python"@en', '"Data analysis in Python"@en'), "text/turtle")
    second = catalogue.harvest(url)
    runs = list(catalogue.store.query(
        "SELECT ?run ?outcome ?status ?published WHERE { GRAPH <%s> { ?run a prov:Activity ; mcc:outcome ?outcome ; "
        "mcc:httpStatus ?status ; mcc:published ?published ; prov:used ?source ; prov:startedAtTime ?t } }" % catalogue.store.provenance_graph,
        default_graphs=[],
    ))
    assert {r["run"].value for r in runs} == {first.run.id, second.run.id}
    assert all(r["status"].value == "200" and r["published"].value == "7" for r in runs)
    rows = list(catalogue.store.query(
        "SELECT ?offer ?issued ?modified ?run WHERE { ?r foaf:primaryTopic ?offer ; dcterms:issued ?issued ; "
        "dcterms:modified ?modified ; prov:wasGeneratedBy ?run ; dcterms:source ?source }"
    ))
    changed = [r for r in rows if r["offer"].value.endswith("data-analysis-python")][0]
    unchanged = [r for r in rows if r["offer"].value.endswith("plc-automation")][0]
    assert changed["run"].value == second.run.id and changed["issued"].value != changed["modified"].value
    assert unchanged["run"].value == first.run.id and unchanged["issued"].value == unchanged["modified"].value


def test_cli_harvest_sources_and_report(server, workdir, cli):
    broken = NORRSUNDA.replace('elm:startDate "2027-08-30T00:00:00+02:00"^^xsd:dateTime', 'elm:startDate "2027-08-30"^^xsd:date', 1)
    url = server.add("/offers.ttl", broken, "text/turtle")
    (workdir / "catalogue.toml").write_text(
        f'[[sources]]\nid = "norrsunda"\nname = "Norrsunda"\nharvester = "rdf"\nurl = "{url}"\nretries = 0\n'
        f'[[sources]]\nid = "gone"\nname = "Gone"\nharvester = "rdf"\nurl = "{server.url("/gone.ttl")}"\nretries = 0\n',
        encoding="utf-8",
    )
    result = cli("harvest")
    assert result.exit_code == 1 and "failed" in result.output and "404" in result.output
    sources = json.loads(cli("sources", "--format", "json").output)
    assert {s["id"]: s["last_run"]["outcome"] for s in sources} == {"norrsunda": "published", "gone": "failed"}
    report = cli("report", "norrsunda", "--format", "json")
    data = json.loads(report.output)
    assert data["quarantined"] == 1 and data["offers"][0]["violations"][0]["path"] == "elm:startDate"
    assert cli("harvest", "norrsunda").exit_code == 0
    assert cli("harvest", "nosuch").exit_code == 2


# -- helpers ------------------------------------------------------------------------------


def _as(turtle: str, rdf_format: ox.RdfFormat) -> bytes:
    return ox.serialize((q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)), format=rdf_format)


def _offer_groups(turtle: str) -> tuple[list[ox.Triple], list[list[ox.Triple]]]:
    """Shared triples, and the triples of each offer and its own nodes (by IRI prefix of the offer's key)."""
    triples = [q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)]
    offers = sorted({t.subject.value for t in triples if t.object.value == "http://data.europa.eu/snb/model/elm/LearningOpportunity"})
    return triples, [[t for t in triples if t.subject.value == o] for o in offers]


def _split_offers(turtle: str) -> tuple[str, str]:
    triples, groups = _offer_groups(turtle)
    second_offers = {g[0].subject for g in groups[4:]}
    first = [t for t in triples if t.subject not in second_offers]
    second = [t for t in triples if t.subject in second_offers] + [t for t in triples if t.subject not in {g[0].subject for g in groups}]
    return ox.serialize(first, format=ox.RdfFormat.TURTLE).decode(), ox.serialize(second, format=ox.RdfFormat.TURTLE).decode()


def _keep_offers(turtle: str, keep: int) -> str:
    triples, groups = _offer_groups(turtle)
    dropped = {g[0].subject for g in groups[keep:]}
    return ox.serialize([t for t in triples if t.subject not in dropped], format=ox.RdfFormat.TURTLE).decode()


def _pages(server: FeedServer, turtle: str, count: int, link: str) -> list[str]:
    triples, groups = _offer_groups(turtle)
    offer_nodes = {g[0].subject for g in groups}
    shared = [t for t in triples if t.subject not in offer_nodes]
    urls = [server.url(f"/page{i}.ttl") for i in range(1, count + 1)]
    for i, url in enumerate(urls):
        own = [t for g in groups[i::count] for t in g]
        body = ox.serialize(own + (shared if i == 0 else []), format=ox.RdfFormat.TURTLE).decode()
        if i + 1 < count:
            nxt = urls[i + 1]
            if link == "hydra":
                body += f'\n<{url}> <http://www.w3.org/ns/hydra/core#view> [ <http://www.w3.org/ns/hydra/core#next> <{nxt}> ] .\n'
            else:
                body += f'\n<{url}> <https://w3id.org/tree#relation> [ a <https://w3id.org/tree#Relation> ; <https://w3id.org/tree#node> <{nxt}> ] .\n'
        server.add(f"/page{i + 1}.ttl", body, "text/turtle")
    return urls


def test_sources_are_fetched_side_by_side_and_each_is_written_whole(tmp_path, cli, workdir):
    """Four slow providers (2 s each) harvest in about the time of one, and each source keeps its own offers.

    Each provider is its own server: requests to one host are made one at a time, out of politeness."""
    import contextlib

    files = sorted(EXAMPLES.glob("*.ttl"))
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(FeedServer()) for _ in range(4)]
        urls = [servers[i].fault(f"/slow-{i}.ttl", "delay", seconds=2.0, body=files[i % len(files)].read_bytes()) for i in range(4)]
        config = workdir / "catalogue.toml"
        config.write_text(
            f'[catalogue]\nbase = "{BASE}"\n[harvest]\nconcurrency = 4\n'
            + "".join(f'[[sources]]\nid = "s{i}"\nname = "Slow {i}"\nharvester = "rdf"\nurl = "{url}"\nretries = 0\n' for i, url in enumerate(urls)),
            encoding="utf-8",
        )
        started = time.monotonic()
        result = cli("--config", str(config), "harvest")
        seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert seconds < 7.0, f"four 2-second sources took {seconds:.1f} s: they were not fetched side by side"
    stats = json.loads(cli("--config", str(config), "stats", "--format", "json").output)
    sizes = {"hochschule-rheinau.ttl": 5, "norrkust-kompetens.ttl": 5, "norrsunda-universitet.ttl": 7}
    assert {source: values["offers"] for source, values in stats["sources"].items()} == {
        f"s{i}": sizes[files[i % len(files)].name] for i in range(4)
    }
    # s0 and s3 publish the same file: the published catalogue lists each offer once.
    generation = json.loads(next((workdir / "data" / "published").glob("*/meta.json")).read_text(encoding="utf-8"))
    assert generation["offers"] == sum(sizes.values())


DCAT_ONLY = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<https://data.example/catalog> a dcat:Catalog ; dcterms:title "Open data" ; dcat:dataset <https://data.example/ds/1>, <https://data.example/ds/2> .
<https://data.example/ds/1> a dcat:Dataset ; dcat:distribution <https://data.example/ds/1/csv> .
<https://data.example/ds/2> a dcat:Dataset .
<https://data.example/ds/1/csv> a dcat:Distribution ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ."""
CTDL = """{"@context": {"ceterms": "https://purl.org/ctdl/terms/"}, "@graph": [
  {"@id": "https://credentialengine.example/resources/ce-1", "@type": "ceterms:Certificate", "ceterms:name": {"en": "Welding"}},
  {"@id": "https://credentialengine.example/resources/ce-2", "@type": "ceterms:LearningOpportunityProfile", "ceterms:name": {"en": "Welding course"}},
  {"@id": "https://credentialengine.example/resources/ce-3", "@type": "ceterms:LearningOpportunityProfile", "ceterms:name": {"en": "Forklift"}}]}"""
LDES_VIEW = """@prefix tree: <https://w3id.org/tree#> . @prefix ldes: <https://w3id.org/ldes#> .
<https://data.example/stream> a ldes:EventStream ; tree:view <https://data.example/stream/view> .
<https://data.example/stream/view> a tree:Node ."""


@pytest.mark.parametrize("body, content_type, types", [
    (DCAT_ONLY, "text/turtle", "types found: dcat:Dataset (2), dcat:Catalog (1), dcat:Distribution (1) (4 resources)"),
    (CTDL, "application/ld+json", "types found: ceterms:LearningOpportunityProfile (2), ceterms:Certificate (1) (3 resources)"),
    (LDES_VIEW, "text/turtle", "types found: ldes:EventStream (1), tree:Node (1) (2 resources)"),
], ids=["dcat-without-rdf-distributions", "ctdl", "ldes-view"])
def test_a_document_without_learning_opportunities_is_reported(server, catalogue, body, content_type, types):
    path = "/fixture." + ("jsonld" if "json" in content_type else "ttl")
    outcome = catalogue.harvest(server.add(path, body, content_type))
    assert outcome.run.outcome != "published" and outcome.run.seen == 0
    [error] = outcome.errors
    assert error.code == "no-learning-opportunity" and error.record.endswith(path)
    assert f"no elm:LearningOpportunity found; {types}" in error.message


def test_a_catalogue_page_that_leads_to_offers_is_not_reported(server, catalogue):
    pages = _pages(server, NORRSUNDA, 3, "tree")
    outcome = catalogue.harvest(pages[0])
    assert not outcome.errors and outcome.run.published == NORRSUNDA_OFFERS


def test_valid_utf8_is_read_as_it_is_and_invalid_utf8_is_named_by_its_place():
    from catalogue.errors import InputError
    from catalogue.harvest.rdfio import to_utf8

    content = "<https://example.org/o> <http://purl.org/dc/terms/title> \"Vård och omsorg – grund\"@sv .\n".encode() * 3
    assert to_utf8(content, "feed.nt", None, ox.RdfFormat.N_TRIPLES) is content  # no copy of a large export
    with_bom = b"\xef\xbb\xbf" + content
    assert to_utf8(with_bom, "feed.nt", None, ox.RdfFormat.N_TRIPLES) == content
    broken = content + b"<https://example.org/o> <http://purl.org/dc/terms/title> \"V\xe5rd\"@sv .\n"
    with pytest.raises(InputError) as raised:
        to_utf8(broken, "feed.nt", None, ox.RdfFormat.N_TRIPLES)
    assert raised.value.line == 4 and "UTF-8" in str(raised.value)
