"""Derivation rules: values a feed implies but does not state, each with its provenance.

Pure functions over plain values (no RDF graph, no store): a field of education from subject
codes or titles, a country from an address, postcode or web domain, a language from text,
ECTS from national credit systems, modes and schedules from study-mode texts, and learning
outcomes from an explicitly titled section of a description. Every result is a ``Derived``
(``result.py``) that names its rule, its evidence and a confidence, and explains itself in
English and Swedish. The mapping tables are data in ``vocab/derivation/`` (see its README).

Modules: ``field_of_education.derive_field``, ``country.derive_country`` / ``country.country_iri``,
``language.derive_language``, ``credits.derive_ects``, ``participation.derive_modes``,
``outcomes.derive_outcomes``; ``tables`` loads the data once.
"""
