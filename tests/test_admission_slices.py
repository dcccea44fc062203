"""A source's offers are staged a slice at a time (so one large document does not become terms all at once); the
store ends the same as when they are staged together."""

from __future__ import annotations

from datetime import datetime, timezone

import pyoxigraph as ox

from catalogue.harvest import admission
from catalogue.store.oxigraph import OxigraphStore

from .conftest import BASE, publish_example_sources

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _published(validator) -> set[ox.Quad]:
    store = OxigraphStore.open(None, BASE)
    publish_example_sources(store, validator, now=NOW)
    return set(store.store)


def test_offers_staged_a_few_at_a_time_give_the_same_store(validator, monkeypatch):
    together = _published(validator)
    monkeypatch.setattr(admission, "ADD_SLICE", 2)
    sliced = _published(validator)
    assert len(together) > 500 and sliced == together
