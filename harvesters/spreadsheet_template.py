"""The provider's spreadsheet template and its documentation, generated from the harvester's column table.

``catalogue template FOLDER`` writes offers-template.xlsx, offers-template.csv
and offers-template-columns.md; the guidance site offers the same files for
download. Columns, names, explanations, allowed values and the example row
all come from ``harvesters.spreadsheet.COLUMNS``, the table the harvester
reads with, so template, documentation and harvester cannot drift apart.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from catalogue.vocab import load_vocabulary

from .spreadsheet import Column, template_columns, template_example

DATE_COLUMNS = {"start", "end", "deadline"}
NUMBER_COLUMNS = {"credits", "hours", "price"}
INTRO = (
    ("Mall för kursutbud till katalogen över mikromeriter. En rad per kurstillfälle, en kolumn per uppgift. "
     "Rad 2 på första bladet är ett ifyllt exempel: skriv över det med era kurser."),
    ("Template for offers to the micro-credential catalogue. One row per offer, one column per item. "
     "Row 2 of the first sheet is a filled-in example: overwrite it with your courses."),
    ("Rubrikerna får vara på svenska eller engelska; ordningen spelar ingen roll; kolumner ni inte behöver kan tas bort, "
     "utom de obligatoriska. Rader som börjar med # är kommentarer. Spara som .xlsx eller som CSV UTF-8."),
    ("Headers may be in Swedish or English; the order does not matter; columns you do not need may be removed, "
     "except the required ones. Rows starting with # are comments. Save as .xlsx or as CSV UTF-8."),
)


def annex_labels() -> dict[str, tuple[str, str, bool]]:
    """Annex I element key -> (Swedish label, English label, mandatory)."""
    return {e.key: (e.label("sv"), e.label("en"), e.mandatory) for e in load_vocabulary().annex_elements()}


def status(column: Column, annex: dict[str, tuple[str, str, bool]]) -> tuple[str, str]:
    """Whether a column is required to publish, needed for a micro-credential, or optional (Swedish, English)."""
    if column.required:
        sv, en = "Obligatorisk", "Required"
    elif column.annex and annex.get(column.annex, ("", "", False))[2]:
        sv, en = "Krävs för mikromerit", "Needed for a micro-credential"
    else:
        return "Frivillig", "Optional"
    if column.annex == "workload":
        return f"{sv} (poäng eller timmar)", f"{en} (credits or hours)"
    if column.multilingual:
        return f"{sv} (minst ett språk)", f"{en} (at least one language)"
    return sv, en


def typed_example(column: Column, lang: str | None):
    text = template_example(column, lang)
    if column.key in DATE_COLUMNS:
        return date.fromisoformat(text)
    if column.key in NUMBER_COLUMNS:
        return float(text) if "." in text else int(text)
    return text


def write_xlsx(path: Path, annex: dict) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Kurser - Offers"  # Excel does not allow "/" in sheet names
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    fills = {"Required": PatternFill("solid", fgColor="F4B183"), "Needed": PatternFill("solid", fgColor="FFE699"),
             "Optional": PatternFill("solid", fgColor="DDEBF7")}
    for index, (header, key, column, lang) in enumerate(template_columns(), start=1):
        required_sv, required_en = status(column, annex)
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font, cell.alignment, cell.fill = bold, wrap, fills[required_en.split()[0]]
        comment = Comment(f"{required_sv}. {column.help[0]} {column.allowed[0]}\n\n{required_en}. {column.help[1]} {column.allowed[1]}\n\n[{key}]", "mc-catalogue")
        comment.width, comment.height = 360, 220
        cell.comment = comment
        example = sheet.cell(row=2, column=index, value=typed_example(column, lang))
        example.alignment = wrap
        if column.key in DATE_COLUMNS:
            example.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[cell.column_letter].width = 28 if column.multilingual else 20
    sheet.freeze_panes = "B2"
    _instructions(book.create_sheet("Anvisningar - Instructions"), annex, bold, wrap)
    book.save(path)


def _instructions(sheet, annex: dict, bold: Font, wrap: Alignment) -> None:
    for text in INTRO:
        sheet.append([text])
    sheet.append([])
    sheet.append(["Kolumn / Column", "Nyckel / Key", "Obligatorisk? / Required?", "Annex I", "Beskrivning (svenska)", "Description (English)",
                  "Tillåtna värden", "Allowed values", "Exempel / Example", "ELM"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for header, key, column, lang in template_columns():
        required_sv, required_en = status(column, annex)
        label = annex.get(column.annex, ("", "", False))
        sheet.append([header, key, f"{required_sv} / {required_en}", f"{label[0]} / {label[1]}" if column.annex else "",
                      column.help[0], column.help[1], column.allowed[0], column.allowed[1], template_example(column, lang), column.target])
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    for letter, width in zip("ABCDEFGHIJ", (34, 22, 22, 30, 50, 50, 40, 40, 40, 40)):
        sheet.column_dimensions[letter].width = width


def write_csv(path: Path) -> None:
    # UTF-8 with a byte-order mark and ";" so that Excel in Swedish opens it with å, ä, ö and the columns intact.
    columns = template_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _, _, _ in columns])
    writer.writerow([template_example(column, lang) for _, _, column, lang in columns])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def write_markdown(path: Path, annex: dict) -> None:
    lines = [
        "# Kolumnerna i mallen / The template's columns",
        "",
        "<!-- Generated by `catalogue template` from harvesters/spreadsheet.py (COLUMNS); do not edit by hand. -->",
        "",
        *(f"{text}\n" for text in INTRO),
        "**CSV:** UTF-8 (med eller utan BOM / with or without BOM), avgränsare `;`, `,` eller tabb / separator `;`, `,` or tab. "
        "Filer i Windows-1252 (Excels \"CSV (semikolonavgränsad)\") avvisas med radnummer; spara som \"CSV UTF-8\" "
        "eller ange källans option `encoding`. / Files in Windows-1252 are refused naming the line; save as \"CSV UTF-8\" "
        "or set the source option `encoding`.",
        "",
        "**Textkolumner på fler språk / Text columns in more languages:** lägg till t.ex. / add e.g. `Titel (finska)`, `title_fi`.",
        "",
        "| Kolumn / Column | Nyckel / Key | Status | Annex I |",
        "| --- | --- | --- | --- |",
    ]
    for header, key, column, _ in template_columns():
        required_sv, required_en = status(column, annex)
        label = annex.get(column.annex, ("", "", False))
        lines.append(f"| {header} | `{key}` | {required_sv} / {required_en} | {label[1] if column.annex else ''} |")
    lines.append("")
    for column in _unique_columns():
        required_sv, required_en = status(column, annex)
        keys = ", ".join(f"`{k}`" for _, k, c, _ in template_columns() if c is column)
        lines += [f"## {column.sv} / {column.en}", "", f"Nyckel / key: {keys} — **{required_sv} / {required_en}**", ""]
        lines.append(f"* **Svenska:** {column.help[0]} {column.allowed[0]}")
        lines.append(f"* **English:** {column.help[1]} {column.allowed[1]}")
        examples = [column.example] if isinstance(column.example, str) else list(column.example)
        lines.append("* **Exempel / Example:** " + " — ".join(f"`{e}`".replace("\n", "` ⏎ `") for e in examples))
        if column.aliases:
            lines.append("* **Andra rubriker som godtas / Other accepted headers:** " + ", ".join(f"`{a}`" for a in column.aliases))
        lines.append(f"* **ELM:** `{column.target}`")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _unique_columns() -> list[Column]:
    return list(dict.fromkeys(column for _, _, column, _ in template_columns()))


def write_template(folder: Path) -> list[Path]:
    """Write offers-template.xlsx, offers-template.csv and offers-template-columns.md into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    annex = annex_labels()
    paths = [folder / "offers-template.xlsx", folder / "offers-template.csv", folder / "offers-template-columns.md"]
    write_xlsx(paths[0], annex)
    write_csv(paths[1])
    write_markdown(paths[2], annex)
    return paths
