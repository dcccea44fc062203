"""``catalogue harvest --timings`` prints each stage's seconds and, beside them, what the sources' own threads ran:
sources harvested at once wait for each other's cores, and a source waits for its server, and the benchmarks compare
a stage's work with its floor (``benchmarks/scale.py``)."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from catalogue.cli.commands import main

from .feedserver import FeedServer
from .sitebuild import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402


def _stages(output: str, label: str) -> dict[str, float]:
    line = next(line for line in output.splitlines() if line.startswith(label))
    found = {}
    for item in line.split(":", 1)[1].split(","):
        name, _, seconds = item.strip().rpartition(" ")
        found[name] = float(seconds)
    return found


def test_a_stage_s_cpu_time_leaves_out_the_wait_for_a_slow_server(tmp_path):
    with FeedServer() as server:
        # The server waits 1.5 s before it answers: that is part of fetching, but not work the harvest did.
        url = server.fault("/offers.ttl", "delay", seconds=1.5, body=generate_document(60))
        config = tmp_path / "catalogue.toml"
        config.write_text('[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = 0\n'
                          f'[[sources]]\nid = "slow"\nname = "Slow"\nharvester = "rdf"\nurl = "{url}"\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["--config", str(config), "harvest", "--no-publish", "--timings"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    seconds, busy = _stages(result.output, "Timings"), _stages(result.output, "Busy")
    assert seconds["fetch and map"] >= 1.5, result.output
    assert 0 < busy["fetch and map"] < 1.0, f"the 1.5 s spent waiting for the server are not counted: {busy}"
    assert set(busy) == {"fetch and map", "extract offers", "summaries", "write"}, "validation's work is in its workers, not counted"
    for stage, cpu in busy.items():
        assert 0 < cpu <= seconds[stage] + 0.05, f"{stage}: {cpu} s of CPU in {seconds[stage]} s"
