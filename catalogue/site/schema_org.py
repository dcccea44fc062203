"""schema.org markup (JSON-LD in each offer page) so search engines and course aggregators read an offer."""

from __future__ import annotations

from catalogue.publish.offer_data import OfferSummary, duration_hours, pick
from catalogue.templates import is_http

from .view import Presenter


def schema_org(offer: OfferSummary, base: str, lang: str) -> dict:
    """schema.org Course with its CourseInstance, offers and provider, for search engines."""
    presenter = Presenter(lang)
    vocabulary = presenter.vocabulary
    title, title_lang = pick(offer.titles, lang)
    description = pick(offer.descriptions, lang)[0]
    course: dict = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": offer.iri,
        "name": title,
        "inLanguage": title_lang or lang,
    }
    if description:
        course["description"] = description
    if offer.homepage and is_http(offer.homepage):
        course["url"] = offer.homepage
    if offer.provider:
        provider = {"@type": "Organization", "name": pick(offer.provider.names, lang)[0]}
        if offer.provider.homepage and is_http(offer.provider.homepage):
            provider["url"] = offer.provider.homepage
        if offer.provider.country:
            provider["address"] = {"@type": "PostalAddress", "addressCountry": vocabulary.notations.get(offer.provider.country, "")}
        course["provider"] = provider
    if offer.eqf:
        course["educationalLevel"] = f"EQF {vocabulary.notations.get(offer.eqf, '')}".strip()
    if offer.ects:
        course["numberOfCredits"] = {"@type": "StructuredValue", "value": offer.ects, "unitText": "ECTS"}
    if offer.fields:
        course["about"] = [
            {"@type": "DefinedTerm", "termCode": vocabulary.notations.get(f, ""), "name": presenter.label(f),
             "inDefinedTermSet": "http://data.europa.eu/snb/isced-f/25831c2"}
            for f in offer.fields
        ]
    if offer.outcomes:
        course["teaches"] = [pick(o, lang)[0] for o in offer.outcomes]
    if offer.entry_requirements:
        course["coursePrerequisites"] = pick(offer.entry_requirements, lang)[0]
    course["educationalCredentialAwarded"] = {
        "@type": "EducationalOccupationalCredential",
        "credentialCategory": "micro-credential" if offer.microcredential else "certificate",
    }
    instance: dict = {"@type": "CourseInstance"}
    modes = {"920fbb3cbe": "online", "9191af2ed9": "onsite", "e92d221e4d": "blended"}
    course_modes = [modes[m.rsplit("/", 1)[-1]] for m in offer.modes if m.rsplit("/", 1)[-1] in modes]
    if course_modes:
        instance["courseMode"] = course_modes
    if offer.start:
        instance["startDate"] = offer.start
    if offer.end:
        instance["endDate"] = offer.end
    if offer.languages:
        instance["inLanguage"] = [vocabulary.notations.get(x, "") for x in offer.languages]
    if offer.volume:
        hours = duration_hours(offer.volume)
        instance["courseWorkload"] = f"PT{hours:g}H" if hours is not None else offer.volume
    course["hasCourseInstance"] = [instance]
    prices = [p for p in offer.prices if p.amount is not None and p.currency]
    if prices:
        course["offers"] = [
            {"@type": "Offer", "price": p.amount, "priceCurrency": vocabulary.notations.get(p.currency, ""), "category": "Fees"}
            for p in prices
        ]
    return course
