"""The bundled example sources harvested through the real pipeline, and the guidance site built from them."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from catalogue.cli.commands import main
from catalogue.config import Config, load_config
from catalogue.publish.generations import current_generation

from .conftest import ROOT

# An offer whose provider wrote markup and script into its texts: the site must show it as text.
HOSTILE_TITLE = '<script>window.hostile=1</script><img src=x onerror="window.hostile=2">Welding & "quotes"'
HOSTILE_DESCRIPTION = '</script><script>window.hostile=3</script><!-- {{ 7*7 }} \u2028 end'

# A provider name and titles with invisible characters that would change what the catalogue's own labels say:
# a RIGHT-TO-LEFT OVERRIDE left open (the facet count after the name would be drawn reversed, inside the name),
# isolates, embeddings, zero-width spaces, a word joiner and a byte order mark. Shown as the *_SHOWN texts.
BIDI_PROVIDER = "\ufeffRätt\u200bviks folk\u2060högskola \u2067\u202eDalarna"
BIDI_PROVIDER_SHOWN = "Rättviks folkhögskola Dalarna"
BIDI_TITLE_SV = "\u202dSvets\u200bning\u2060 för nybörjare\u202e"
BIDI_TITLE_EN = "\u202aWelding for \u2068beginners\u2069\u202b\ufeff"
BIDI_TITLES_SHOWN = {"sv": "Svetsning för nybörjare", "en": "Welding for beginners"}
# A provider that writes right to left: its Arabic name and title must not reorder the labels and counts beside them.
ARABIC_PROVIDER = "معهد مالمو للتدريب المهني"
ARABIC_TITLE = "اللحام للمبتدئين"
PERSIAN_TITLE = "آموزش\u200cهای جوشکاری"  # with a ZERO WIDTH NON-JOINER, which Persian needs
ARABIC_PLACE = "رينكبي"  # Rinkeby
# The sources build_bundled_site adds to the bundled catalogue.toml.
EXTRA_SOURCES = ("hostile", "bidi", "arabic")
INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff"


@dataclass
class BuiltSite:
    config: Config
    site: Path
    offers: list[dict]  # summaries from the published search index

    def offer(self, fragment: str) -> dict:
        return next(s for s in self.offers if fragment in s["iri"])

    @property
    def listed_offers(self) -> list[dict]:
        """The offers listings show: not ended, not cancelled (the bundled examples have real dates, so some end)."""
        return [s for s in self.offers if s.get("status", "current") == "current"]


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


def _example_offer(replacements: list[tuple[str, str]], base: str) -> str:
    text = (ROOT / "site" / "static" / "example-offer.ttl").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.replace("https://data.provider.example/", base)


def bidi_offer_files(folder: Path) -> tuple[Path, Path]:
    """The providers' example offer twice more: once from a provider whose name and titles hide bidirectional
    controls and zero-width characters, once from a provider writing in Arabic (Arabic and Persian titles,
    an Arabic place name)."""
    title = 'dcterms:title "Svetsning för underhållstekniker"@sv , "Welding for maintenance technicians"@en ;\n    dcterms:description'
    name = 'rov:legalName "Exempelskolan"@sv , "The Example School"@en ;'
    hidden = _example_offer([
        (title, f"dcterms:title {json.dumps(BIDI_TITLE_SV)}@sv , {json.dumps(BIDI_TITLE_EN)}@en ;\n    dcterms:description"),
        (name, f"rov:legalName {json.dumps(BIDI_PROVIDER)}@sv ;"),
    ], "https://data.bidi.example/")
    arabic = _example_offer([
        (title, f'dcterms:title "{ARABIC_TITLE}"@ar , "{PERSIAN_TITLE}"@fa ;\n    dcterms:description'),
        (name, f'rov:legalName "{ARABIC_PROVIDER}"@ar ;'),
        ("    elm:defaultLanguage", f'    elm:location [ a dcterms:Location ; elm:geographicName "{ARABIC_PLACE}"@ar ;\n'
                                  "        elm:address [ a elm:Address ; elm:countryCode <http://publications.europa.eu/resource/authority/country/SWE> ] ] ;\n"
                                  "    elm:defaultLanguage"),
    ], "https://data.arabic.example/")
    paths = folder / "bidi.ttl", folder / "arabic.ttl"
    for path, text in zip(paths, (hidden, arabic)):
        path.write_text(text, encoding="utf-8")
    return paths


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
    bidi, arabic = bidi_offer_files(folder)
    config_path = write_config(
        folder,
        f'\n[[sources]]\nid = "hostile"\nname = "Hostile <b>provider</b>"\nharvester = "rdf"\nurl = "{hostile.as_posix()}"\n'
        f'\n[[sources]]\nid = "bidi"\nname = "Hidden characters"\nharvester = "rdf"\nurl = "{bidi.as_posix()}"\n'
        f'\n[[sources]]\nid = "arabic"\nname = "Arabic provider"\nharvester = "rdf"\nurl = "{arabic.as_posix()}"\n',
    )
    run(config_path, "harvest")
    run(config_path, "build-site")
    config = load_config(config_path)
    generation = current_generation(config)
    with sqlite3.connect(generation.search_path) as db:
        offers = [json.loads(row[0]) for row in db.execute("SELECT summary FROM offers ORDER BY iri")]
    return BuiltSite(config, config.data_dir / "site", offers)


def pagefind_records(site: Path, lang: str) -> list[dict]:
    """The records of the static search's Pagefind index for one language, read from the fragment files the
    browser downloads (gzip, Pagefind's signature, then JSON): url, meta, filters."""
    records = []
    for path in sorted((site / "pagefind" / "fragment").glob(f"{lang}_*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd"), path
        records.append(json.loads(data[len(b"pagefind_dcd"):]))
    return records
