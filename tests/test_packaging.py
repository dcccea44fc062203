"""A built wheel carries the shapes and vocabulary and validates a file outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT


@pytest.mark.slow
def test_an_installed_wheel_validates_a_file(tmp_path: Path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(wheels), "-q"],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("mc_catalogue-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "catalogue/_data/shapes/publishing.ttl" in names
    assert "catalogue/_data/vocab/isced-f.ttl" in names
    assert "catalogue/_data/site/templates/offer.html" in names and "catalogue/_data/site/locale/sv/LC_MESSAGES/messages.po" in names
    assert any(n.startswith("harvesters/") for n in names)
    assert "catalogue/harvest/pipeline.py" in names and "catalogue/store/factory.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[mc_catalogue.harvesters]" in entry_points and "[mc_catalogue.templates]" in entry_points

    target = tmp_path / "installed"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel), "-q"],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    offer = elsewhere / "offer.ttl"
    offer.write_bytes((EXAMPLES / "norrkust-kompetens.ttl").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(target)}
    script = (
        "import catalogue, sys; assert catalogue.__file__.startswith(sys.argv[1]), catalogue.__file__; "
        "from catalogue.cli.commands import main; sys.argv = ['catalogue', 'validate', '--format', 'json', 'offer.ttl']; main()"
    )
    run = subprocess.run([sys.executable, "-c", script, str(target)], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert len(report["offers"]) == 5 and all(o["conforms"] for o in report["offers"])

    # The guidance site builds from the wheel's own templates, translations and assets.
    steps = (
        "from catalogue.cli.commands import main; import sys; sys.argv = ['catalogue', 'load', 'offer.ttl', '--source', 'norrkust']; main(standalone_mode=False); "
        "sys.argv = ['catalogue', 'build-site', 'out']; main()"
    )
    run = subprocess.run([sys.executable, "-c", steps], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(list((elsewhere / "out" / "sv" / "offer" / "norrkust").glob("*.html"))) == 5
    assert "Sök" in (elsewhere / "out" / "sv" / "index.html").read_text(encoding="utf-8")

    # A harvest from the wheel finds its harvester through the entry points, and the template writer too.
    (elsewhere / "catalogue.toml").write_text(
        '[catalogue]\ndata_dir = "harvested"\n\n[[sources]]\nid = "norrkust"\nname = "Norrkust"\nharvester = "rdf"\nurl = "offer.ttl"\n',
        encoding="utf-8",
    )
    steps = (
        "from catalogue.cli import main; import sys; sys.argv = ['catalogue', 'harvest']; main(standalone_mode=False); "
        "sys.argv = ['catalogue', 'template', 'template']; main(standalone_mode=False); "
        "sys.argv = ['catalogue', 'stats', '--format', 'json']; main()"
    )
    run = subprocess.run([sys.executable, "-c", steps], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout[run.stdout.index("{"):])
    assert stats["sources"]["norrkust"]["offers"] == 5, stats
    assert any(p.suffix == ".xlsx" for p in (elsewhere / "template").iterdir())
