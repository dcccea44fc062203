"""Harvesters: one module per source format, each turning a provider's publications into ELM.

Each depends only on the harvest contract (``catalogue.harvest.contract``) and the shared helpers
(``harvesters.elm``, ``catalogue.vocab``...); the catalogue finds them through entry points
(``catalogue.harvest.registry``), never by import.
"""
