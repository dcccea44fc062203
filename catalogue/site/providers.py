"""The providers of the guidance site: what the register and each provider's page show.

A provider is described from two places: its listed offers' summaries (names, country, how many offers,
how many complete, open warnings, the sources) and the store, for what only the store knows (web page,
identifiers, accreditations, and what its offers say about quality assurance). Both are asked for the
providers whose offers changed only, so a build after one changed offer asks about one provider.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from catalogue.publish.offer_data import pick, rows_within_graphs
from catalogue.store.base import CatalogueStore
from catalogue.text import display_text
from catalogue.urls import provider_page

from .view import Presenter, http_only

PROVIDER_SLICE = 500  # providers whose details one query asks for
QUALITY_NOTES_READ = 200  # notes on quality assurance read per provider, of which the register shows ten distinct
QUALITY_TOPIC = "http://data.europa.eu/snb/qualification-topics#accreditation-and-quality-assurance"


def provider_data(iri: str, summaries: list[dict], details: dict) -> dict:
    """What the site shows of a provider, from its listed offers' summaries and its ``details`` (``provider_details``)."""
    first = next(s["provider"] for s in summaries if s.get("provider"))
    names = {lang: display_text(name) for lang, name in (first.get("names") or {}).items()}
    return {
        "iri": iri,
        "names": {lang: name for lang, name in names.items() if name},
        "country": first.get("country"),
        **details,
        "offers": len(summaries),
        "complete": sum(1 for s in summaries if s["microcredential"]),
        "warnings": sum(int(s.get("warnings") or 0) for s in summaries),
        "sources": sorted({s["source"] for s in summaries}),
    }


def provider_details(store: CatalogueStore, iris: Iterable[str]) -> dict[str, dict]:
    """Each provider's web page, identifiers, accreditations and what its offers say about quality assurance.

    Asked ``PROVIDER_SLICE`` providers at a time, each pattern matched within one public graph, where a
    provider's description lives (``rows_within_graphs``)."""
    iris = list(iris)
    details: dict[str, dict] = {iri: {"homepage": None, "identifiers": [], "accreditations": [], "offer_quality_notes": []} for iri in iris}
    graphs = store.public_graphs()

    def rows(variables: str, pattern: str, values: str):
        return rows_within_graphs(store, graphs, variables, pattern, values)

    for first in range(0, len(iris), PROVIDER_SLICE):
        values = "VALUES ?p { " + " ".join(f"<{iri}>" for iri in iris[first:first + PROVIDER_SLICE]) + " }"
        for row in rows("?p ?home ?notation ?scheme", "{ ?p foaf:homepage/elm:contentUrl ?home } UNION "
                        "{ ?p adms:identifier ?id . ?id skos:notation ?notation OPTIONAL { ?id elm:schemeName ?scheme } }", values):
            entry = details[row["p"].value]
            if row["home"] is not None:
                entry["homepage"] = row["home"].value
            if row["notation"] is not None:
                identifier = [row["scheme"].value if row["scheme"] is not None else "", row["notation"].value]
                if identifier not in entry["identifiers"]:
                    entry["identifiers"].append(identifier)
        accreditations: dict[str, dict[str, dict]] = {}
        for row in rows("?p ?a ?type ?title ?agent ?report ?issued",
                        "?p elm:accreditation ?a . OPTIONAL { ?a dcterms:type ?type } OPTIONAL { ?a dcterms:title ?title } "
                        "OPTIONAL { ?a elm:accreditingAgent/rov:legalName ?agent } OPTIONAL { ?a elm:report/elm:contentUrl ?report } "
                        "OPTIONAL { ?a dcterms:issued ?issued }", values):
            entry = accreditations.setdefault(row["p"].value, {}).setdefault(
                row["a"].value, {"type": None, "titles": {}, "agent": {}, "report": None, "issued": None})
            if row["type"] is not None:
                entry["type"] = row["type"].value
            if row["title"] is not None:
                entry["titles"][row["title"].language or ""] = display_text(row["title"].value)
            if row["agent"] is not None:
                entry["agent"][row["agent"].language or ""] = display_text(row["agent"].value)
            if row["report"] is not None:
                entry["report"] = row["report"].value
            if row["issued"] is not None:
                entry["issued"] = row["issued"].value
        for iri, found in accreditations.items():
            details[iri]["accreditations"] = list(found.values())
        # What the provider's offers say about quality assurance (an accreditation by a national agency, say),
        # when the provider's own description says nothing: the register shows it rather than "not stated".
        notes: dict[str, dict[str, dict[str, str]]] = {}
        for row in rows("?p ?n ?text",
                        f"?n dcterms:subject <{QUALITY_TOPIC}> ; elm:noteLiteral ?text . "
                        "{ ?o elm:additionalNote ?n } UNION { ?o elm:learningAchievementSpecification/elm:additionalNote ?n } ?o elm:providedBy ?p",
                        values):
            by_note = notes.setdefault(row["p"].value, {})
            if row["n"].value in by_note or len(by_note) < QUALITY_NOTES_READ:
                by_note.setdefault(row["n"].value, {})[row["text"].language or ""] = display_text(row["text"].value)
        for iri, by_note in notes.items():
            details[iri]["offer_quality_notes"] = list({json.dumps(sorted(t.items())): t for t in by_note.values()}.values())[:10]
    return details


def provider_view(provider: dict, lang: str, p: Presenter, last_harvest: dict[str, str | None]) -> dict:
    """What a provider's page and its row in the register show, in ``lang``."""
    harvested = [last_harvest.get(s) for s in provider["sources"] if last_harvest.get(s)]
    identifiers = []
    for scheme, notation in provider["identifiers"]:
        link = f"https://www.eqar.eu/qa-results/search/by-institution/institution/?id={notation.removeprefix('DEQARINST')}" if "deqar" in scheme.lower() or notation.startswith("DEQARINST") else None
        identifiers.append({"scheme": scheme, "notation": notation, "link": link})
    accreditations = []
    for a in provider["accreditations"]:
        accreditations.append({
            "type": p.label(a["type"]) if a.get("type") else "",
            "explanation": p.explain(a.get("type")),
            "title": p.text(a.get("titles", {})),
            "agent": p.text(a.get("agent", {})),
            "report": http_only(a.get("report")),
            "issued": p.day(a.get("issued")),
        })
    names = provider.get("names", {})
    offers = provider["offers"]
    return {
        "iri": provider["iri"],
        "url": provider_page(provider["iri"], lang),
        "name": p.text(names) or p.plain(provider["iri"]),
        "other_names": [{"text": t, "lang": lg} for lg, t in sorted(names.items()) if t != pick(names, lang)[0]],
        "country": p.label(provider.get("country")) if provider.get("country") else "",
        "homepage": http_only(provider.get("homepage")),
        "identifiers": identifiers,
        "accreditations": accreditations,
        "offer_quality_notes": [p.text(t) for t in provider.get("offer_quality_notes", [])],
        "offers": offers,
        "complete": provider["complete"],
        "share": round(100 * provider["complete"] / offers) if offers else 0,
        "warnings": provider["warnings"],
        "last_harvest": p.day(max(harvested)) if harvested else "",
        "sources": provider["sources"],
    }
