"""The country of a provider or an opportunity, as an EU country IRI, from what the feed says about a place.

In order of trust: a stated country (name in English, Swedish, German, Dutch or French, an endonym, or an ISO
alpha-2/alpha-3 code); the ``country`` option configured for the source; the postcode, where its format points to
one country clearly enough (``vocab/derivation/postcodes.csv``); the country-code domain of the provider's web
address (``vocab/derivation/domains.csv``). A postcode format that several countries share gives a low
confidence that names the others, and is raised when the web domain points to one of them.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from . import tables
from .result import Derived
from .tables import COUNTRY_PREFIX


def country_iri(text: str | None) -> str | None:
    """The EU country IRI for a country name or ISO 3166 code in any of the catalogue's languages, else ``None``."""
    if not text or not text.strip():
        return None
    if text.strip().startswith(COUNTRY_PREFIX):
        code = text.strip().removeprefix(COUNTRY_PREFIX)
        return text.strip() if code in _known() else None
    code = tables.country_names().get(tables.name_key(text))
    return COUNTRY_PREFIX + code if code else None


def derive_country(
    address_country: str | None = None,
    postcode: str | None = None,
    urls: list[str] = (),  # type: ignore[assignment]  # a tuple default keeps the default immutable
    option: str | None = None,
) -> Derived | None:
    """The country the inputs point to, with the rule that decided; ``None`` when nothing does."""
    stated = country_iri(address_country)
    if stated:
        return _result(stated, 0.98, "country/address", f"stated country “{address_country.strip()}”",
                       f"the address gives the country as “{address_country.strip()}”",
                       f"adressen anger landet som ”{address_country.strip()}”")
    configured = country_iri(option)
    if configured:
        return _result(configured, 0.9, "country/option", f"source option country = “{option.strip()}”",
                       f"the source is configured with the country “{option.strip()}”",
                       f"källan är inställd på landet ”{option.strip()}”")
    domain = _from_domains(list(urls or ()))
    from_postcode = _from_postcode(postcode, domain)
    if from_postcode:
        return from_postcode
    return domain


def _known() -> set[str]:
    return set(tables.country_names().values())


def _result(iri: str, confidence: float, rule: str, evidence: str, because_en: str, because_sv: str) -> Derived:
    concept = tables.concepts("country.ttl")[iri]
    return Derived(
        value=iri,
        confidence=round(confidence, 3),
        rule=rule,
        evidence=evidence,
        explanation={
            "en": f"The country {tables.label(concept, 'en')} was derived because {because_en} (rule {rule}).",
            "sv": f"Landet {tables.label(concept, 'sv')} härleddes eftersom {because_sv} (regel {rule}).",
        },
    )


# -- postcodes -------------------------------------------------------------------------------------

def _from_postcode(postcode: str | None, domain: Derived | None) -> Derived | None:
    if not postcode or not postcode.strip():
        return None
    normal = re.sub(r"\s+", " ", postcode.strip().upper())
    best: dict[str, tables.PostcodePattern] = {}
    for pattern in tables.postcode_patterns():
        if pattern.pattern.match(normal) and (
            pattern.country not in best or pattern.confidence > best[pattern.country].confidence
        ):
            best[pattern.country] = pattern
    candidates = [p for p in best.values() if p.country in _known()]
    if not candidates:
        return None
    candidates.sort(key=lambda p: p.confidence, reverse=True)
    domain_country = domain.value.removeprefix(COUNTRY_PREFIX) if domain else None
    top = candidates[0]
    if len(candidates) > 1:
        if domain_country in best:
            # The web domain settles which of the countries that share this format it is.
            top = best[domain_country]
            confidence = min(0.9, top.confidence + domain.confidence * 0.5)
            others = _names([p.country for p in candidates if p is not top], "en")
            return _result(
                COUNTRY_PREFIX + top.country, confidence, "country/postcode",
                f"postcode “{postcode.strip()}” (format also used in {others}) and {domain.evidence}",
                f"the postcode “{postcode.strip()}” fits its format and the web domain points to it",
                f"postnumret ”{postcode.strip()}” har dess format och webbdomänen pekar dit",
            )
        if candidates[1].confidence == top.confidence:
            return None  # equally likely countries: no decision
    others = [p.country for p in candidates[1:]]
    shared = _names(others, "en") if others else ""
    evidence = f"postcode “{postcode.strip()}” (" + (f"format also used in {shared}" if others else top.note) + ")"
    return _result(
        COUNTRY_PREFIX + top.country, top.confidence, "country/postcode", evidence,
        f"the postcode “{postcode.strip()}” has that country's format" + (f", which {shared} also use" if others else ""),
        f"postnumret ”{postcode.strip()}” har landets format" + (f", som även {_names(others, 'sv')} använder" if others else ""),
    )


def _names(codes: list[str], lang: str) -> str:
    concepts = tables.concepts("country.ttl")
    names = [tables.label(concepts[COUNTRY_PREFIX + code], lang) for code in codes]
    joiner = " and " if lang == "en" else " och "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]


# -- web domains -----------------------------------------------------------------------------------

def _host(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    if "//" not in url:
        url = "//" + url.split("@")[-1]
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def _from_domains(urls: list[str]) -> Derived | None:
    found: list[tuple[str, tables.DomainCountry]] = []
    for url in urls:
        host = _host(url)
        if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
            continue
        row = tables.domain_countries().get(host.rsplit(".", 1)[-1])
        if row and row.country and row.country in _known():
            found.append((host, row))
    if not found:
        return None
    counts = Counter(row.country for _, row in found)
    (country, count), *rest = counts.most_common()
    if rest and rest[0][1] == count:
        return None  # the web addresses point to different countries equally often
    host, row = next((host, row) for host, row in found if row.country == country)
    confidence = row.confidence * (count / len(found))
    tld = "." + host.rsplit(".", 1)[-1]
    return _result(
        COUNTRY_PREFIX + country, confidence, "country/domain", f"web domain {host}",
        f"the web address {host} uses the country domain {tld}",
        f"webbadressen {host} har landsdomänen {tld}",
    )
