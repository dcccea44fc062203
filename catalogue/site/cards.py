"""What a result card shows of an offer: the same on listing pages, the static search and the server's search."""

from __future__ import annotations

from datetime import date

from catalogue.levels import LISTED, level_label
from catalogue.publish.offer_data import pick
from catalogue.text import display_text
from catalogue.urls import offer_page

from .view import Presenter


def card(summary: dict, lang: str, p: Presenter, base: str, today: date | None = None) -> dict:
    """A card from a search-index summary: title, provider, level, place, price and dates a counsellor compares."""
    title, title_lang = pick(summary["titles"], lang)
    provider = summary.get("provider") or {}
    return {
        "url": offer_page(summary["iri"], summary["source"], base, lang),
        "title": display_text(title),
        "title_lang": title_lang,
        "fallback": bool(title_lang) and title_lang.split("-")[0] != lang,
        "provider": display_text(pick(provider.get("names", {}), lang)[0]),
        "microcredential": summary["microcredential"],
        "level": summary.get("level", LISTED),
        "level_label": level_label(summary.get("level", LISTED), lang),
        "eqf": p.label(summary.get("eqf")) if summary.get("eqf") else "",
        "national_level": national_level(summary),
        "modes": [p.label(m) for m in summary.get("modes", [])],
        "start": p.day(summary.get("start")),
        "ects": p.number(summary.get("ects")) if summary.get("ects") is not None else "",
        # Credits in other systems beside ECTS (YH points, folk high school weeks), never converted to ECTS.
        "credits": [p.credits(c["framework"], c["points"]) for c in summary.get("credits") or []],
        "pace": p.pace(summary.get("pace")),
        "hours": p.number(summary.get("hours")) if summary.get("hours") is not None else "",
        "languages": [p.label(x) for x in summary.get("languages", [])],
        "places": places(summary, lang),
        "price": price(summary, p),
        "deadline": deadline(summary, p, today or date.today()),
        "id": summary["iri"],
    }


SWEDEN = "http://publications.europa.eu/resource/authority/country/SWE"


def national_level(summary: dict) -> str:
    """The level in the national framework readers know, beside EQF: Sweden's SeQF is referenced to EQF level for
    level (SeQF 5 is EQF 5), so a Swedish provider's EQF level is also its SeQF level."""
    eqf, provider = summary.get("eqf") or "", summary.get("provider") or {}
    number = eqf.rsplit("/", 1)[-1]
    return f"SeQF {number}" if number.isdigit() and provider.get("country") == SWEDEN else ""


def places(summary: dict, lang: str) -> list[str]:
    """Where it is given: each place's name, else the first line of its address."""
    found = []
    for place in summary.get("places") or []:
        name = pick(place.get("names") or {}, lang)[0] or pick(place.get("address") or {}, lang)[0].split(",")[0]
        if name and display_text(name) not in found:
            found.append(display_text(name))
    return found[:3]


def price(summary: dict, p: Presenter) -> str:
    prices = summary.get("prices") or []
    amounts = [x for x in prices if x.get("amount") is not None]
    if not amounts:
        return ""
    lowest = min(amounts, key=lambda x: x["amount"])
    return p.money(lowest["amount"], lowest.get("currency"))


def deadline(summary: dict, p: Presenter, today: date) -> str:
    """The next application deadline that has not passed."""
    coming = next_deadline(summary, today)
    return p.day(coming) if coming else ""


def next_deadline(summary: dict, today: date) -> str | None:
    """The day (YYYY-MM-DD) of the next application deadline that has not passed."""
    deadlines = summary.get("deadlines")
    if not deadlines:
        return None
    day = today.isoformat()
    return min((d[:10] for d in deadlines if d[:10] >= day), default=None)
