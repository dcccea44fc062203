"""The bundled example sources harvested through the real pipeline, and the guidance site built from them."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from catalogue.cli import main
from catalogue.config import Config, load_config
from catalogue.generations import current_generation

from .conftest import ROOT

# An offer whose provider wrote markup and script into its texts: the site must show it as text.
HOSTILE_TITLE = '<script>window.hostile=1</script><img src=x onerror="window.hostile=2">Welding & "quotes"'
HOSTILE_DESCRIPTION = '</script><script>window.hostile=3</script><!-- {{ 7*7 }} \u2028 end'


@dataclass
class BuiltSite:
    config: Config
    site: Path
    offers: list[dict]  # summaries from the published search index

    def offer(self, fragment: str) -> dict:
        return next(s for s in self.offers if fragment in s["iri"])


def hostile_offer_file(folder: Path) -> Path:
    """The providers' example offer with a hostile title and description, as an extra source."""
    text = (ROOT / "site" / "static" / "example-offer.ttl").read_text(encoding="utf-8")
    title = json.dumps(HOSTILE_TITLE)
    description = json.dumps(HOSTILE_DESCRIPTION).replace("\\u2028", "\u2028")
    text = text.replace('dcterms:title "Svetsning för underhållstekniker"@sv , "Welding for maintenance technicians"@en ;\n    dcterms:description',
                        f'dcterms:title {title}@en ;\n    dcterms:description', 1)
    text = text.replace('"Part-time course with practical work in the workshop."@en', f"{description}@en", 1)
    text = text.replace("https://data.provider.example/", "https://data.hostile.example/")
    assert HOSTILE_TITLE.split(">")[0] in text
    path = folder / "hostile.ttl"
    path.write_text(text, encoding="utf-8")
    return path


def write_config(folder: Path, extra: str = "") -> Path:
    text = (ROOT / "catalogue.toml").read_text(encoding="utf-8")
    text = re.sub(r'url = "examples/', f'url = "{ROOT.as_posix()}/examples/', text)
    path = folder / "catalogue.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def run(config_path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build_bundled_site(folder: Path) -> BuiltSite:
    hostile = hostile_offer_file(folder)
    config_path = write_config(folder, f'\n[[sources]]\nid = "hostile"\nname = "Hostile <b>provider</b>"\nharvester = "rdf"\nurl = "{hostile.as_posix()}"\n')
    run(config_path, "harvest")
    run(config_path, "build-site")
    config = load_config(config_path)
    generation = current_generation(config)
    with sqlite3.connect(generation.search_path) as db:
        offers = [json.loads(row[0]) for row in db.execute("SELECT summary FROM offers ORDER BY iri")]
    return BuiltSite(config, config.data_dir / "site", offers)
