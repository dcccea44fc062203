"""How the command line shows reports, tables and progress (rich)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pyoxigraph as ox
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .report import OfferReport, ValidationRun
from .vocab import Vocabulary

WORDS = {
    "en": {
        "publishable": "publishable",
        "not_publishable": "NOT publishable",
        "mc": "complete micro-credential",
        "not_mc": "not a complete micro-credential",
        "missing": "missing Annex I elements",
        "problems": "Must fix",
        "advice": "Should fix",
        "offers": "offers",
        "summary": "{offers} offers: {ok} publishable, {bad} not publishable, {mc} complete micro-credentials.",
        "cached": "{n} reports came from the cache (unchanged offers).",
    },
    "sv": {
        "publishable": "kan publiceras",
        "not_publishable": "kan INTE publiceras",
        "mc": "komplett mikromerit",
        "not_mc": "inte en komplett mikromerit",
        "missing": "saknade element enligt bilaga I",
        "problems": "Måste åtgärdas",
        "advice": "Bör åtgärdas",
        "offers": "erbjudanden",
        "summary": "{offers} erbjudanden: {ok} kan publiceras, {bad} kan inte publiceras, {mc} kompletta mikromeriter.",
        "cached": "{n} rapporter kom från cachen (oförändrade erbjudanden).",
    },
}


@contextlib.contextmanager
def progress(console: Console, label: str, unit: str = "items") -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error; yields a callback taking the number of items just done."""
    bar = Progress(
        TextColumn(f"{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task(label, total=None)
    with bar:
        yield lambda n: bar.advance(task, n)


def print_validation(console: Console, run: ValidationRun, lang: str, vocabulary: Vocabulary) -> None:
    words = WORDS[lang]
    labels = {e.key: e.label(lang) for e in vocabulary.annex_elements()}
    for problem in run.problems:
        console.print(f"[bold red]✘ cannot read[/] {escape(problem.message)}")
    for note in run.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for report in run.reports:
        _print_offer(console, report, words, labels, lang)
    summary = run.summary()
    console.print(
        words["summary"].format(offers=summary["offers"], ok=summary["conforming"], bad=summary["violating"], mc=summary["microcredentials"])
    )
    if summary["from_cache"]:
        console.print(words["cached"].format(n=summary["from_cache"]))


def _print_offer(console: Console, report: OfferReport, words: dict[str, str], labels: dict[str, str], lang: str) -> None:
    title = escape(report.title(lang) or report.offer)
    status = f"[green]✔ {words['publishable']}[/]" if report.conforms else f"[bold red]✘ {words['not_publishable']}[/]"
    mc = f"[green]{words['mc']}[/]" if report.microcredential else f"[yellow]{words['not_mc']}[/]"
    console.print(f"\n[bold]{title}[/]\n  <{escape(report.offer)}>\n  {status} · {mc}")
    if report.missing:
        console.print(f"  {words['missing']}: " + ", ".join(escape(labels.get(k, k)) for k in report.missing))
    if report.violations:
        console.print(f"  [red]{words['problems']}:[/]")
        for finding in report.violations:
            console.print(f"   • {escape(_where(finding))}{escape(finding.message(lang))}")
    advice = [f for f in report.warnings if f.profile != "microcredential" or f.severity == "warning"]
    if advice:
        console.print(f"  [yellow]{words['advice']}:[/]")
        for finding in advice:
            console.print(f"   • {escape(finding.message(lang))}")


def _where(finding) -> str:
    parts = []
    if finding.path:
        parts.append(finding.path)
    if finding.value:
        parts.append(f"= {finding.value}")
    return (" ".join(parts) + ": ") if parts else ""


def print_publish(console: Console, source_id: str, outcome, notes: list[str]) -> None:
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(
        f"Source [bold]{escape(source_id)}[/]: {outcome.published} offers published "
        f"({outcome.unchanged} unchanged), {outcome.quarantined} quarantined; "
        f"{outcome.change.added} triples added, {outcome.change.removed} removed in one transaction "
        f"({outcome.change.seconds:.2f} s)."
    )
    if outcome.withdrawn:
        console.print(f"{len(outcome.withdrawn)} offers are no longer in the source and were withdrawn.")
    if outcome.quarantined:
        console.print(f"See what to fix: [bold]catalogue report {escape(source_id)}[/]")


def print_stats(console: Console, counts: dict[str, dict[str, int]], vocabulary_triples: int) -> None:
    table = Table(title="Catalogue")
    for column in ("source", "published offers", "quarantined offers", "triples"):
        table.add_column(column, justify="left" if column == "source" else "right")
    totals = [0, 0, 0]
    for source, row in counts.items():
        table.add_row(source, str(row["offers"]), str(row["quarantined"]), str(row["triples"]))
        totals = [totals[0] + row["offers"], totals[1] + row["quarantined"], totals[2] + row["triples"]]
    table.add_row("[bold]all sources[/]", *(f"[bold]{t}[/]" for t in totals))
    console.print(table)
    console.print(f"Vocabulary: {vocabulary_triples} triples.")


def print_query_result(console: Console, result, output_format: str) -> None:
    import sys

    if isinstance(result, ox.QueryBoolean):
        if output_format in ("json", "xml", "csv", "tsv"):
            sys.stdout.buffer.write(result.serialize(format=_results_format(output_format)))
        else:
            console.print("true" if bool(result) else "false")
        return
    if isinstance(result, ox.QueryTriples):
        rdf_format = ox.RdfFormat.N_TRIPLES if output_format == "ntriples" else ox.RdfFormat.TURTLE
        sys.stdout.buffer.write(result.serialize(format=rdf_format) or b"")
        return
    if output_format in ("json", "xml", "csv", "tsv"):
        sys.stdout.buffer.write(result.serialize(format=_results_format(output_format)))
        return
    variables = [v.value for v in result.variables]
    table = Table(*variables)
    rows = 0
    for solution in result:
        table.add_row(*(escape(_short(solution[v])) for v in variables))
        rows += 1
    console.print(table)
    console.print(f"{rows} rows")


def _results_format(name: str) -> ox.QueryResultsFormat:
    return {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
    }[name]


def _short(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    return term.value if hasattr(term, "value") else str(term)
