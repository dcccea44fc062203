"""The change feed cannot lose an event nor tell one twice when the writer dies between its store write and its
run state (the defect: three separate SQLite transactions after the store write).

Each case runs a real harvest of a bundled example in a child process and kills it (``os._exit``, as a kill -9
leaves things: no finally, no flush) at one step; then a normal harvest in this process must leave a change log that
names every published offer exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalogue.config import Config, SourceConfig
from catalogue.harvest.pipeline import harvest_source
from catalogue.harvest.state import HarvestState
from catalogue.store.oxigraph import OxigraphStore
from catalogue.validation.validator import Validator, ValidatorSettings

from .conftest import BASE, EXAMPLES, ROOT

EXAMPLE = EXAMPLES / "norrsunda-universitet.ttl"

CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from catalogue.config import Config, SourceConfig
    from catalogue.harvest import admission, pipeline
    from catalogue.harvest.state import HarvestState
    from catalogue.store.oxigraph import OxigraphStore
    from catalogue.validation.validator import Validator, ValidatorSettings

    def die(*args, **kwargs):
        os._exit(137)

    step = {step!r}
    if step == "before the run state":
        HarvestState.commit_admission = die          # the store write has landed; the feed's events have not
    else:
        stage = HarvestState.stage_admission
        def stage_then_die(self, *args):             # the events are staged; the store write never happens
            stage(self, *args)
            die()
        HarvestState.stage_admission = stage_then_die
    folder = Path({folder!r})
    config = Config(base={base!r}, data_dir=folder)
    source = SourceConfig("norrsunda", "Norrsunda", "rdf", ({example!r},), {{}})
    store = OxigraphStore.open(folder / "store", config.base)
    state = HarvestState(folder / "state.sqlite")
    pipeline.harvest_source(config, source, store, state, Validator(config.base, ValidatorSettings(workers=1)))
    sys.exit(0)
""")


def _harvest(folder: Path):
    config = Config(base=BASE, data_dir=folder)
    source = SourceConfig("norrsunda", "Norrsunda", "rdf", (str(EXAMPLE),), {})
    store = OxigraphStore.open(folder / "store", config.base)
    state = HarvestState(folder / "state.sqlite")
    try:
        outcome = harvest_source(config, source, store, state, Validator(config.base, ValidatorSettings(workers=1)))
        published = {row["offer"].value for row in store.every_row("?offer", f"GRAPH <{store.records_graph('norrsunda')}> {{ ?r foaf:primaryTopic ?offer }}")}
        return outcome, published, state.changes(limit=10_000)
    finally:
        store.close()
        state.close()


@pytest.mark.parametrize("step", ["before the run state", "before the store write"])
def test_a_writer_killed_between_its_steps_loses_no_feed_event(tmp_path, step):
    child = CHILD.format(root=str(ROOT), step=step, folder=str(tmp_path), base=BASE, example=str(EXAMPLE))
    died = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert died.returncode == 137, died.stderr[-2000:]
    pending = HarvestState(tmp_path / "state.sqlite")
    staged = pending.pending_admissions("norrsunda")
    assert len(staged) == 1 and staged[0][1], "the events were staged before the writer died"
    assert pending.changes() == []
    pending.close()

    outcome, published, changes = _harvest(tmp_path)
    assert outcome.run.outcome in ("published", "unchanged"), outcome.run.message
    assert published, "the example publishes offers"
    created = [c["offer"] for c in changes if c["kind"] == "create"]
    assert sorted(created) == sorted(published), "every published offer is created in the feed exactly once"
    assert all(c["kind"] == "create" for c in changes)
    state = HarvestState(tmp_path / "state.sqlite")
    assert state.pending_admissions("norrsunda") == []
    assert state.record_offers("norrsunda"), "the record map was committed with the events"
    state.close()


def test_a_normal_harvest_leaves_nothing_staged(tmp_path):
    _, published, changes = _harvest(tmp_path)
    state = HarvestState(tmp_path / "state.sqlite")
    assert state.pending_admissions("norrsunda") == [] and len(changes) == len(published) > 0
    state.close()
