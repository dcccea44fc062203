"""The pages of an offer, in both languages, made where the offer is read (``map_published_offers``).

Rendering is most of a site build. Made in the processes that read the offers, it runs on every core while
the building process writes the files.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment

from catalogue.config import Config
from catalogue.publish.offer_data import OfferSummary

from . import i18n
from .environment import common_context, environment
from .schema_org import schema_org
from .view import Presenter, offer_view


@cache
def _tools(lang: str) -> tuple[Environment, Presenter]:
    return environment(lang), Presenter(lang)


def offer_pages(config: Config, last_harvest: dict[str, str | None], source_names: dict[str, str],
                offers: list[OfferSummary]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(offer IRI, [(page path below the site, HTML)]) for each of ``offers``."""
    made = []
    for offer in offers:
        pages = []
        for lang in i18n.LANGUAGES:
            env, p = _tools(lang)
            view = offer_view(offer, p, config.base, source_names.get(offer.source, offer.source), last_harvest.get(offer.source),
                              source_names=source_names)
            page = env.get_template("offer.html").render(
                **common_context(config, lang, view.url, view.other_language_url),
                offer=view,
                p=p,
                jsonld=schema_org(offer, config.base, lang),
            )
            pages.append((view.url.lstrip("/"), page))
        made.append((offer.iri, pages))
    return made
