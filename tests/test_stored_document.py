"""A large RDF document is loaded into a temporary store on disk and cut into offers a slice at a time
(``catalogue.harvest.stored_document``): what the catalogue publishes must be exactly what it publishes when the
document is held in memory, its errors must name the place, and nothing must be left on disk."""

from __future__ import annotations

import re
import sys

import pytest
from click.testing import CliRunner

from catalogue.cli.commands import main
from catalogue.config import load_config
from catalogue.harvest import pipeline
from catalogue.harvest.stored_document import StoredDocument
from catalogue.namespaces import ELM, ELM_33
from catalogue.store.oxigraph import OxigraphStore

from .sitebuild import ROOT, bidi_offer_files, hostile_offer_file, run

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_document  # noqa: E402

_DATE = re.compile(r'"[^"]*"\^\^<http://www.w3.org/2001/XMLSchema#dateTime>')
_RUN = re.compile(r"<[^>]*/run/[^>]*>")


def _documents(folder) -> list:
    """Single-document RDF sources: the bundled ELM examples, generated offers, hostile and hidden characters, ELM 3.3."""
    generated = folder / "generated.ttl"
    generated.write_bytes(generate_document(240))
    elm33 = folder / "norrsunda-elm33.ttl"
    elm33.write_text((ROOT / "examples" / "elm" / "norrsunda-universitet.ttl").read_text(encoding="utf-8").replace(ELM, ELM_33),
                     encoding="utf-8")
    return [*sorted((ROOT / "examples" / "elm").glob("*.ttl")), generated, hostile_offer_file(folder), *bidi_offer_files(folder), elm33]


def _config(folder, documents, options: str = "") -> object:
    folder.mkdir()
    text = '[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = 1\n'
    for number, path in enumerate(documents):
        text += (f'[[sources]]\nid = "s{number}"\nname = "Source {number}"\nharvester = "rdf"\nurl = "{path.as_posix()}"\n'
                 f'max_shrink = 0.99\n{options}')
    path = folder / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _graphs(config_path) -> dict[str, list[str]]:
    """Every graph but provenance, as sorted N-Triples lines, with harvest times and run IRIs taken out."""
    config = load_config(config_path)
    store = OxigraphStore.open(config.store.path, config.base, read_only=True)
    try:
        return {graph: sorted(_RUN.sub("<run>", _DATE.sub('"time"', str(t))) for t in store.triples(graph))
                for graph in store.graphs() if graph != store.provenance_graph}
    finally:
        store.close()


@pytest.fixture()
def loaded(monkeypatch) -> list[str]:
    """The documents loaded on disk during the test (their sources), as the harvest loads them."""
    found: list[str] = []
    original = StoredDocument.load.__func__

    def counted(cls, *args, **kwargs):
        found.append(args[1])
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(StoredDocument, "load", classmethod(counted))
    return found


def test_a_document_on_disk_gives_what_the_document_in_memory_gives(tmp_path, monkeypatch, loaded):
    documents = _documents(tmp_path)
    held = _config(tmp_path / "held", documents)
    run(held, "harvest", "--no-publish")

    monkeypatch.setattr(pipeline, "BATCH_OFFERS", 7)  # many slices, so offers of one slice point to offers of others
    on_disk = _config(tmp_path / "disk", documents, "in_memory_megabytes = 0\n")
    run(on_disk, "harvest", "--no-publish")

    assert sorted(loaded) == sorted(str(path) for path in documents)
    expected, found = _graphs(held), _graphs(on_disk)
    assert len([g for g in expected if "/graph/source/" in g]) == len(documents)
    assert found == expected
    staging = tmp_path / "disk" / "data" / "staging"
    assert not staging.exists() or not any(staging.glob("document-*")), list(staging.iterdir())


def test_a_broken_document_on_disk_is_reported_with_its_line_and_nothing_is_left(tmp_path):
    broken = tmp_path / "broken.ttl"
    text = generate_document(20).decode("utf-8").splitlines()
    text[40] = text[40] + ' "unclosed'
    broken.write_text("\n".join(text), encoding="utf-8")
    config = _config(tmp_path / "broken", [broken], "in_memory_megabytes = 0\n")
    result = CliRunner().invoke(main, ["--config", str(config), "harvest", "--no-publish"], catch_exceptions=False)
    assert "line 41" in result.output and "broken.ttl" in result.output, result.output
    staging = tmp_path / "broken" / "data" / "staging"
    assert not staging.exists() or not any(staging.glob("document-*"))


def test_the_documents_of_a_source_of_several_are_cut_together_in_memory(tmp_path, loaded):
    # One document may describe the nodes of another (a provider on the first page, its offers on the last), so a
    # source of several documents is cut as one, in memory, even past the size.
    pages = [ROOT / "examples" / "elm" / name for name in ("norrsunda-universitet.ttl", "norrkust-kompetens.ttl")]
    urls = "urls = [" + ", ".join(f'"{p.as_posix()}"' for p in pages) + "]\n"

    def config(folder, options: str) -> object:
        folder.mkdir()
        path = folder / "catalogue.toml"
        path.write_text('[catalogue]\nbase = "http://127.0.0.1:8000/"\ndata_dir = "data"\n[validation]\nworkers = 1\n'
                        f'[[sources]]\nid = "pages"\nname = "Pages"\nharvester = "rdf"\n{urls}{options}', encoding="utf-8")
        return path

    held, on_disk = config(tmp_path / "held", ""), config(tmp_path / "disk", "in_memory_megabytes = 0\n")
    run(held, "harvest", "--no-publish")
    assert not loaded
    run(on_disk, "harvest", "--no-publish")
    assert len(loaded) == 2  # loaded on disk while read, then parsed into memory once a second document came
    assert _graphs(on_disk) == _graphs(held)
    staging = tmp_path / "disk" / "data" / "staging"
    assert not staging.exists() or not any(staging.glob("document-*"))
