"""Where things live on the site and in the API, derived from IRIs so every part agrees."""

from __future__ import annotations

import hashlib
import re


def offer_page(iri: str, source: str, base: str, lang: str) -> str:
    """The guidance-site path of an offer page: stable for as long as the offer's IRI is."""
    return f"/{lang}/offer/{source}/{offer_slug(iri, source, base)}.html"


def offer_slug(iri: str, source: str, base: str) -> str:
    minted = f"{base}offer/{source}/"
    if iri.startswith(minted) and re.fullmatch(r"[A-Za-z0-9._~-]+", iri[len(minted):]):
        return iri[len(minted):]
    last = re.sub(r"[^A-Za-z0-9-]+", "-", iri.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:60] or "offer"
    return f"{last}-{hashlib.sha256(iri.encode()).hexdigest()[:8]}"


def provider_page(iri: str, lang: str) -> str:
    return f"/{lang}/provider/{provider_slug(iri)}.html"


def provider_slug(iri: str) -> str:
    last = re.sub(r"[^A-Za-z0-9-]+", "-", iri.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:60] or "provider"
    return f"{last}-{hashlib.sha256(iri.encode()).hexdigest()[:8]}"
