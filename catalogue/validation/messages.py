"""Plain-language messages for validation results whose shape gives none.

Shapes carry hand-written messages (``sh:message``, English and Swedish) where
the fix needs explaining. Every other result gets a sentence built here from
the kind of constraint that failed and the labels of the class and property in
``vocab/elm-terms.ttl``, in both languages.
"""

from __future__ import annotations

from catalogue.namespaces import curie
from catalogue.vocab import Vocabulary

# {thing}: the class of the node that failed, e.g. "The Organisation"; {prop}: the property label and CURIE.
TEMPLATES: dict[str, dict[str, str]] = {
    "MinCountConstraintComponent": {
        "en": "{thing} has no {prop}; add one.",
        "sv": "{thing} saknar {prop}; lägg till.",
    },
    "MaxCountConstraintComponent": {
        "en": "{thing} has more than one {prop}; give only one.",
        "sv": "{thing} har fler än ett värde för {prop}; ange bara ett.",
    },
    "ClosedConstraintComponent": {
        "en": "{thing} uses {prop}, which ELM does not allow here: remove it or move it to the node it belongs to.",
        "sv": "{thing} använder {prop}, som ELM inte tillåter här: ta bort det eller flytta det dit det hör hemma.",
    },
    "ClassConstraintComponent": {
        "en": "The value {value} of {prop} is not described as the kind of thing ELM expects here (check its rdf:type).",
        "sv": "Värdet {value} för {prop} är inte beskrivet som den sorts sak ELM väntar sig här (kontrollera dess rdf:type).",
    },
    "DatatypeConstraintComponent": {
        "en": "The value {value} of {prop} has the wrong datatype, or is not a valid value of its datatype.",
        "sv": "Värdet {value} för {prop} har fel datatyp, eller är inte ett giltigt värde av sin datatyp.",
    },
    "UniqueLangConstraintComponent": {
        "en": "{thing} has more than one {prop} in the same language; keep one per language.",
        "sv": "{thing} har flera {prop} på samma språk; behåll en per språk.",
    },
    "PatternConstraintComponent": {
        "en": "The value {value} of {prop} is not written in the expected form.",
        "sv": "Värdet {value} för {prop} är inte skrivet på förväntat sätt.",
    },
    "NodeKindConstraintComponent": {
        "en": "The value {value} of {prop} is the wrong kind of term (an IRI where text is expected, or the other way round).",
        "sv": "Värdet {value} för {prop} är fel sorts term (en IRI där text väntas, eller tvärtom).",
    },
    "HasValueConstraintComponent": {
        "en": "{prop} does not have the required value.",
        "sv": "{prop} har inte det värde som krävs.",
    },
    "InConstraintComponent": {
        "en": "The value {value} of {prop} is not one of the allowed values.",
        "sv": "Värdet {value} för {prop} är inte ett av de tillåtna värdena.",
    },
    "DisjointConstraintComponent": {
        "en": "{prop} repeats a value that is already the main name; remove the duplicate.",
        "sv": "{prop} upprepar ett värde som redan är huvudnamnet; ta bort dubbletten.",
    },
    "MinInclusiveConstraintComponent": {
        "en": "The value {value} of {prop} is too small.",
        "sv": "Värdet {value} för {prop} är för litet.",
    },
    "LessThanOrEqualsConstraintComponent": {
        "en": "The value {value} of {prop} comes after the value it must precede.",
        "sv": "Värdet {value} för {prop} ligger efter värdet det ska föregå.",
    },
}
FALLBACK = {
    "en": "{thing} does not meet the rule for {prop}.",
    "sv": "{thing} uppfyller inte regeln för {prop}.",
}

def compose(
    vocabulary: Vocabulary,
    component: str,
    path_iri: str | None,
    path_text: str,
    focus: str,
    focus_class: str | None,
    value: str | None,
) -> dict[str, str]:
    """English and Swedish sentences for a result without a hand-written message."""
    templates = TEMPLATES.get(component, FALLBACK)
    out = {}
    for lang in ("en", "sv"):
        prop = _property(vocabulary, path_iri, path_text, lang)
        thing = _thing(vocabulary, focus, focus_class, lang)
        out[lang] = templates[lang].format(thing=thing, prop=prop, value=value or "")
    return out


def _property(vocabulary: Vocabulary, path_iri: str | None, path_text: str, lang: str) -> str:
    if path_iri is None:
        return path_text or ("the value" if lang == "en" else "värdet")
    label = vocabulary.label(path_iri, lang, fallback="")
    return f"{label} ({curie(path_iri)})" if label else curie(path_iri)


def _thing(vocabulary: Vocabulary, focus: str, focus_class: str | None, lang: str) -> str:
    node = f"<{focus}>"
    if focus_class:
        label = vocabulary.label(focus_class, lang, fallback="")
        if label:
            if lang == "en":
                return f"The {label} {node}"
            return f"{label[:1].upper()}{label[1:]} {node}"
    return f"The node {node}" if lang == "en" else f"Noden {node}"
