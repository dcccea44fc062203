"""The levels at which the catalogue admits an offer, shared by validation, records, publishing and pages.

* ``quarantined``: below listing (no title, no named provider, no way to learn more, or broken values);
* ``listed``: a learner can find and judge it; public everywhere;
* ``europass-ready``: it also conforms to what the official Europass LOQ shapes ask;
* ``complete``: Europass-ready and every mandatory Annex I element is given.

Their labels and plain explanations (English, Swedish) are in ``vocab/catalogue-terms.ttl``.
"""

from __future__ import annotations

from catalogue.namespaces import MCC, PREFIXES
from catalogue.vocab import load_vocabulary

QUARANTINED = "quarantined"
LISTED = "listed"
EUROPASS_READY = "europass-ready"
COMPLETE = "complete"
LEVELS = (QUARANTINED, LISTED, EUROPASS_READY, COMPLETE)
NEXT_LEVEL = dict(zip(LEVELS, LEVELS[1:]))

# The published levels as IRIs of the records graph.
LEVEL_IRIS = {
    LISTED: MCC + "Listed",
    EUROPASS_READY: MCC + "EuropassReady",
    COMPLETE: MCC + "CompleteMicroCredential",
}
LEVEL_KEYS = {iri: key for key, iri in LEVEL_IRIS.items()}


def at_least(level: str, floor: str) -> bool:
    """Whether ``level`` is ``floor`` or above it."""
    return LEVELS.index(level) >= LEVELS.index(floor)


def level_label(level: str, lang: str = "en") -> str:
    """The level in plain words, from ``vocab/catalogue-terms.ttl`` (a quarantined offer has no published level)."""
    if level == QUARANTINED:
        return {"sv": "I karantän"}.get(lang, "Quarantined")
    return load_vocabulary().label(LEVEL_IRIS[level], lang)


def gap_label(path: str, lang: str = "en") -> str:
    """What Europass still needs, from the property a gap was found on (a prefixed name; empty on the offer itself)."""
    if not path:
        return {"sv": "uppgifter på själva erbjudandet"}.get(lang, "details on the offer itself")
    prefix, _, local = path.partition(":")
    namespace = PREFIXES.get(prefix)
    if namespace is None:
        return path
    label = load_vocabulary().label(namespace + local, lang, fallback="")
    return f"{label} ({path})" if label else path
