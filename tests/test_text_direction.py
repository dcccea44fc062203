"""RDF 1.2 text with a base direction ("…"@ar--rtl) is read by Oxigraph's Turtle reader, but its N-Triples reader
does not read back what its writer makes of it, and an offer's statements pass through N-Triples on their way to
validation and the store. A harvest of such a feed used to stop with a parser's traceback; the text is now kept
with its language, and the provider is told that its direction was left out."""

from __future__ import annotations

import pyoxigraph as ox

from catalogue.validation.offers import extract_offers
from catalogue.vocab import load_vocabulary

from .conftest import BASE
from .sitebuild import run
from .test_graph_text import _one_source, _source_graph

TITLE = "Data analysis with Python"


def test_a_text_with_a_base_direction_is_kept_with_its_language_and_the_provider_is_told(tmp_path):
    config_path, feed = _one_source(tmp_path)
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text.replace(f'"{TITLE}"@en', f'"{TITLE}"@en--ltr', 1), encoding="utf-8")
    assert "@en--ltr" in feed.read_text(encoding="utf-8")

    records = extract_offers(ox.parse(path=str(feed), format=ox.RdfFormat.TURTLE), load_vocabulary(), BASE)
    assert records.directional == 1
    for record in records.offers:
        assert len(record.triples()) == len(record.lines)  # every line reads back

    run(config_path, "harvest", "--no-publish")
    titles = [t.object for t in _source_graph(config_path) if t.object.value == TITLE]
    assert titles and set(titles) == {ox.Literal(TITLE, language="en")}
    report = run(config_path, "report", "norrsunda")
    assert "text direction" in report and "without the base direction" in report
