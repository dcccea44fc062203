"""XML entity bombs never reach a parser, in any XML path.

pyoxigraph's RDF/XML parser expands entities without limit: a 1 KB document grows to gigabytes and
the process aborts. Every test here runs the catalogue in a subprocess whose address space is
limited, so a regression fails the test by a memory error (the child dies) instead of taking the
machine down. The bombs hide in the ways the earlier check missed: an entity name that is not
ASCII, the DTD after 300 KB of harmless content, and UTF-16 text.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from .conftest import EXAMPLES, ROOT, free_port

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
REFUSAL = "declares a DTD with XML entities"
# Enough for the catalogue (harvest, serve, validate and their workers), far too little for an expanded bomb.
MEMORY_LIMIT = 2000 * 1024 * 1024
# Runs a command with its address space limited: util-linux prlimit's job, done in Python so no tool is needed.
LIMITED = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); os.execv(sys.argv[1], sys.argv[1:])"


def limited(*command: str) -> list[str]:
    return [sys.executable, "-c", LIMITED.format(MEMORY_LIMIT), *command]


def declarations(name: str, levels: int = 10) -> str:
    """A billion-laughs DTD: each entity is ten of the previous one (10**levels copies in all)."""
    entities = f'<!ENTITY {name}0 "{name * 4}">'
    entities += "".join(f'<!ENTITY {name}{i} "{("&" + name + str(i - 1) + ";") * 10}">' for i in range(1, levels))
    return entities


def xml_bomb(root: str, name: str = "lol", padding: int = 0, inner: str = "") -> str:
    comment = f"<!-- {'harmless ' * (padding // 9)} -->\n" if padding else ""
    body = inner.replace("BOMB", f"&{name}9;") if inner else f"&{name}9;"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{comment}<!DOCTYPE {root} [{declarations(name)}]>\n{body}'


def rdf_bomb(name: str = "lol", padding: int = 0) -> str:
    inner = (f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:dcterms="http://purl.org/dc/terms/">'
             '<rdf:Description rdf:about="https://x.example/a"><dcterms:title>BOMB</dcterms:title></rdf:Description></rdf:RDF>')
    return xml_bomb("rdf:RDF", name, padding, inner)


def utf16(text: str) -> bytes:
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16")


RDF_BOMBS = {
    "non-ascii-name": rdf_bomb("é").encode("utf-8"),
    "after-300-kb": rdf_bomb("lol", padding=300 * 1024).encode("utf-8"),
    "utf-16": utf16(rdf_bomb("ö")),
}


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


# -- catalogue validate ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bomb", list(RDF_BOMBS.values()), ids=list(RDF_BOMBS))
def test_catalogue_validate_refuses_the_bomb(tmp_path, bomb):
    path = tmp_path / "offers.rdf"
    path.write_bytes(bomb)
    started = time.monotonic()
    result = run(limited(CATALOGUE, "validate", str(path)), tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert REFUSAL in output and "offers.rdf" in output
    assert time.monotonic() - started < 60


# -- POST /api/validate on a real server ----------------------------------------------------------------------


def test_the_validation_service_refuses_the_bomb_and_keeps_serving(tmp_path):
    port = free_port()
    config = tmp_path / "catalogue.toml"
    config.write_text(f'[catalogue]\nbase = "http://127.0.0.1:{port}/"\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(limited(CATALOGUE, "--config", str(config), "serve", "--port", str(port)), cwd=tmp_path,
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api/validate"
        _wait_for(f"http://127.0.0.1:{port}/health", server, log)
        for name, bomb in RDF_BOMBS.items():
            response = requests.post(url, data=bomb, headers={"Content-Type": "application/rdf+xml"}, timeout=120)
            assert response.status_code == 400, (name, response.text)
            assert REFUSAL in response.json()["errors"][0]["message"], name
        good = (EXAMPLES / "norrkust-kompetens.ttl").read_bytes()
        response = requests.post(url, data=good, headers={"Content-Type": "text/turtle"}, timeout=120)
        assert response.status_code == 200 and len(response.json()["offers"]) == 5
        assert server.poll() is None, log.read_text(errors="replace")[-2000:]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


# -- a harvest: every XML path ----------------------------------------------------------------------------------


def xhtml_course_page(name: str) -> str:
    """A course page as XHTML, declaring entities its markup uses (lxml's HTML parser would leave them unexpanded)."""
    inner = ('<html xmlns="http://www.w3.org/1999/xhtml" lang="sv"><head><title>Kurs</title>'
             '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Course", "name": "BOMB"}</script>'
             '</head><body><p>BOMB</p></body></html>')
    return xml_bomb("html", name, 0, inner)


def sitemap_bomb() -> str:
    return xml_bomb("urlset", "é", 0, '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/BOMB</loc></url></urlset>')


def workbook(change) -> bytes:
    """The provider template with its first sheet's XML changed."""
    source = zipfile.ZipFile(ROOT / "examples" / "template" / "offers-template.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return buffer.getvalue()


def _without_declaration(xml: bytes) -> str:
    text = xml.decode("utf-8")
    return text.split("?>", 1)[1] if text.startswith("<?xml") else text


def sheet_after_300_kb(xml: bytes) -> bytes:
    padding = "<!-- " + "harmless " * (300 * 1024 // 9) + " -->"
    doctype = f"<!DOCTYPE worksheet [{declarations('lol')}]>"
    sheet = _without_declaration(xml).replace("EX-ELS-2027", "&lol9;", 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>' + padding + doctype + sheet).encode("utf-8")


def sheet_in_utf16(xml: bytes) -> bytes:
    doctype = f"<!DOCTYPE worksheet [{declarations('ö')}]>"
    sheet = _without_declaration(xml).replace("EX-ELS-2027", "&ö9;", 1)
    return ('<?xml version="1.0" encoding="UTF-16"?>' + doctype + sheet).encode("utf-16")


def sources() -> dict[str, tuple[str, str, bytes, str]]:
    return {
        # id: (harvester, file name, content, what the report must say)
        "rdf-non-ascii": ("rdf", "offers.rdf", RDF_BOMBS["non-ascii-name"], REFUSAL),
        "rdf-late": ("rdf", "late.rdf", RDF_BOMBS["after-300-kb"], REFUSAL),
        "rdf-utf16": ("rdf", "wide.rdf", RDF_BOMBS["utf-16"], REFUSAL),
        "loq": ("elm-xml", "loq.xml", xml_bomb("Courses", "é", 300 * 1024, '<Courses xmlns="http://data.europa.eu/snb/model/ap/loq-constraints">BOMB</Courses>').encode(), REFUSAL),
        "xcri": ("xcri-cap", "xcri.xml", utf16(xml_bomb("catalog", "lol", 0, '<catalog xmlns="http://xcri.org/profiles/1.2/catalog">BOMB</catalog>')), REFUSAL),
        "sitemap": ("schemaorg", "sitemap.xml", sitemap_bomb().encode(), REFUSAL),
        "page": ("schemaorg", "course.xhtml", xhtml_course_page("é").encode(), REFUSAL),
        "sheet-late": ("spreadsheet", "late.xlsx", workbook(sheet_after_300_kb), "declares a DTD"),
        "sheet-utf16": ("spreadsheet", "wide.xlsx", workbook(sheet_in_utf16), "declares a DTD"),
    }


def test_a_harvest_refuses_every_kind_of_xml_bomb(tmp_path):
    entries = []
    cases = sources()
    for source_id, (harvester, name, content, _) in cases.items():
        path = tmp_path / source_id / name
        path.parent.mkdir()
        path.write_bytes(content)
        entries.append(f'[[sources]]\nid = "{source_id}"\nname = "{source_id}"\nharvester = "{harvester}"\nurl = "{path}"\n')
    config = tmp_path / "catalogue.toml"
    config.write_text('[catalogue]\nbase = "http://127.0.0.1:8000/"\n[validation]\nworkers = 1\n' + "".join(entries), encoding="utf-8")
    started = time.monotonic()
    result = run(limited(CATALOGUE, "--config", str(config), "harvest"), tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # every source failed, none crashed the run
    assert time.monotonic() - started < 120
    from catalogue.harvest.state import HarvestState

    state = HarvestState(tmp_path / "data" / "state.sqlite")
    try:
        for source_id, (_, _, _, expected) in cases.items():
            run_ = state.last_run(source_id)
            said = " ".join([run_.message] + [e["message"] for e in state.run_errors(run_.id)])
            assert expected in said, (source_id, said)
            assert run_.published == 0
    finally:
        state.close()


def test_the_html_parser_of_course_pages_does_not_expand_entities():
    """Why refusing XHTML pages with entities is belt and braces: lxml's HTML parser (extruct's
    parse_xmldom_html, on whose tree microdata and pyRdfa work) leaves declared entities as text.
    A small entity, so that a change in lxml shows here without costing memory."""
    from extruct.utils import parse_xmldom_html

    from harvesters.schemaorg import Page, extract_items

    page = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "EXPANDED">]>'
            '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
            '<div vocab="https://schema.org/" typeof="Course" resource="https://x.example/c"><span property="name">&a;</span></div>'
            '</body></html>')
    tree = parse_xmldom_html(page.encode("utf-8"), "utf-8")
    items, broken = extract_items(Page("https://x.example/page", "https://x.example/page", tree, None))
    names = [text.value for item in items for text in item.props.get("name", [])]
    assert names == ["&a;"] and not broken
