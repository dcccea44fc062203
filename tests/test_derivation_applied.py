"""Values a feed implies are derived in a real harvest, recorded with their rule and explanation, shown as
inferred by the catalogue, and never put over what the provider stated."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.publish.offer_data import read_offers
from catalogue.site.view import Presenter, offer_view

from .conftest import BASE
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

FEED = Path(__file__).resolve().parent / "fixtures" / "feeds" / "xcri-cap-implied.xml"
TWEED = f"{BASE}offer/implied/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


class Implied(HarvestingCatalogue):
    source_id = "implied"
    source_name = "Implied values"
    harvester = "xcri-cap"


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    from catalogue.validation.validator import Validator

    catalogue = Implied(tmp_path_factory.mktemp("implied"), Validator(BASE))
    with FeedServer() as server:
        outcome = catalogue.harvest(server.add("/feed.xml", FEED.read_bytes(), "application/xml"))
    assert outcome.run.outcome == "published", outcome.run.message
    return catalogue, outcome


def _offer(catalogue, fragment: str) -> str:
    return next(o for o in catalogue.offers() if fragment in o)


def _derivations(catalogue, offer: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """property local name -> (value, rule, explanations) as the offer's catalogue record states them."""
    rows = catalogue.store.query(
        f"SELECT ?p ?v ?rule ?c WHERE {{ ?r foaf:primaryTopic <{offer}> ; mcc:derivation ?d . "
        "?d rdf:predicate ?p ; rdf:object ?v ; mcc:rule ?rule ; rdfs:comment ?c }")
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for row in rows:
        name = row["p"].value.rsplit("/", 1)[-1]
        value, rule, texts = found.get(f"{name} {row['v'].value}", (row["v"].value, row["rule"].value, {}))
        texts[row["c"].language] = row["c"].value
        found[f"{name} {row['v'].value}"] = (value, rule, texts)
    return found


def test_implied_values_are_derived_with_their_rule(harvested):
    catalogue, outcome = harvested
    offer = _offer(catalogue, "woodland")
    derived = _derivations(catalogue, offer)
    rules = {key.split()[0]: rule for key, (_, rule, _) in derived.items()}
    assert rules["ISCEDFCode"] == "isced-f/hecos" and "ISCEDFCode http://data.europa.eu/snb/isced-f/0821" in derived
    assert rules["countryCode"] == "country/postcode" and f"countryCode {COUNTRY}GBR" in derived
    assert rules["point"] == "credits/cats-ects" and "point 7.5" in derived
    assert rules["mode"] == "participation/text"
    outcomes = {key for key in derived if key.startswith("title ")}
    assert outcomes == {"title Plan a thinning operation for a mixed woodland", "title Assess tree health and report risks",
                        "title Write a five-year woodland management plan"}
    for _value, _rule, texts in derived.values():
        assert texts.keys() == {"en", "sv"} and texts["en"] != texts["sv"]
    # The provider sees each one as a mapping note of kind "derived".
    noted = {(n.field, n.value) for n in outcome.notes if n.kind == "derived" and "woodland" in n.record}
    assert ("countryCode", f"{COUNTRY}GBR") in noted and ("point", "7.5") in noted
    # The statements are published with the offer, so they count for its level: the country makes it Europass-ready.
    assert catalogue.level(offer) in ("europass-ready", "complete")


def test_nothing_is_derived_over_what_the_provider_stated(harvested):
    catalogue, _ = harvested
    offer = _offer(catalogue, "example-abroad")
    derived = _derivations(catalogue, offer)
    assert not [key for key in derived if key.startswith(("countryCode", "ISCEDFCode"))]
    countries = {r["c"].value for r in catalogue.store.query(
        f"SELECT ?c WHERE {{ <{offer}> elm:providedBy/elm:location/elm:address/elm:countryCode ?c }}")}
    assert countries == {f"{COUNTRY}IRL"}  # stated as "Ireland", although its postcode has the UK's format


def test_the_site_and_the_records_tell_inferred_values_apart(harvested):
    catalogue, _ = harvested
    offer = _offer(catalogue, "woodland")
    summary = next(s for s in read_offers(catalogue.store) if s.iri == offer)
    assert {d["rule"] for d in summary.derived} >= {"isced-f/hecos", "country/postcode", "credits/cats-ects"}
    view = offer_view(summary, Presenter("sv"), BASE, "Implied", None)
    field = dict(view.facts)["Utbildningsområde"]
    assert [v.text for v in field] == ["Skogsbruk (härlett av katalogen)"]
    assert any(name == "Land" or "land" in name.casefold() for name, _, _ in view.derived)
    assert all(why for _, _, why in view.derived)
