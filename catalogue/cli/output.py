"""How the command line shows reports, tables and progress (rich)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import pyoxigraph as ox
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from catalogue.levels import (
    COMPLETE,
    EUROPASS_READY,
    LISTED,
    NEXT_LEVEL,
    gap_label,
    level_label,
)
from catalogue.validation.report import OfferReport, ValidationRun
from catalogue.vocab import Vocabulary, load_vocabulary

WORDS = {
    "en": {
        "publishable": "listed",
        "not_publishable": "NOT listed (quarantined)",
        "europass": "For Europass, also give",
        "mc": "complete micro-credential",
        "not_mc": "not a complete micro-credential",
        "missing": "missing Annex I elements",
        "problems": "Must fix",
        "advice": "Should fix",
        "offers": "offers",
        "summary": "{offers} offers: {ok} listed ({ep} Europass-ready), {bad} not listed, {mc} complete micro-credentials.",
        "cached": "{n} reports came from the cache (unchanged offers).",
    },
    "sv": {
        "publishable": "listas",
        "not_publishable": "listas INTE (karantän)",
        "europass": "För Europass, ange också",
        "mc": "komplett mikromerit",
        "not_mc": "inte en komplett mikromerit",
        "missing": "saknade element enligt bilaga I",
        "problems": "Måste åtgärdas",
        "advice": "Bör åtgärdas",
        "offers": "erbjudanden",
        "summary": "{offers} erbjudanden: {ok} listas ({ep} redo för Europass), {bad} listas inte, {mc} kompletta mikromeriter.",
        "cached": "{n} rapporter kom från cachen (oförändrade erbjudanden).",
    },
}


@contextlib.contextmanager
def progress(console: Console, label: str, unit: str = "items") -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error, without a total; yields a callback taking the number of items just done."""
    with counted_progress(console, label, unit) as advance:
        yield lambda n: advance("done", n)


@contextlib.contextmanager
def counted_progress(console: Console, label: str, unit: str) -> Iterator[Callable[[str, int], None]]:
    """A progress bar with a total on standard error; without a terminal (logs, CI), a line at every tenth done.

    Yields a callback: ``("total", n)`` sets the number of items to do, ``(anything else, n)`` counts n done."""
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeElapsedColumn(),
                   console=console, transient=True, disable=not console.is_terminal)
    task = bar.add_task(label, total=None)
    state = {"done": 0, "total": 0, "next": 0}

    def advance(kind: str, n: int) -> None:
        if kind == "total":
            state["total"], state["next"] = n, max(1, n // 10)
            bar.update(task, total=n)
            if not console.is_terminal and n:
                console.print(f"{label}: {n:,} {unit} to do")
            return
        bar.advance(task, n)
        state["done"] += n
        if not console.is_terminal and state["total"] and state["done"] >= state["next"]:
            console.print(f"{label}: {state['done']:,} of {state['total']:,} {unit}")
            state["next"] += max(1, state["total"] // 10)

    with bar:
        yield advance


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
        words["summary"].format(offers=summary["offers"], ok=summary["conforming"], bad=summary["violating"], mc=summary["microcredentials"],
                                ep=summary["europass_ready"])
    )
    if summary["from_cache"]:
        console.print(words["cached"].format(n=summary["from_cache"]))


def _print_offer(console: Console, report: OfferReport, words: dict[str, str], labels: dict[str, str], lang: str) -> None:
    title = escape(report.title(lang) or report.offer)
    status = f"[green]✔ {words['publishable']}[/]" if report.conforms else f"[bold red]✘ {words['not_publishable']}[/]"
    mc = f"[green]{words['mc']}[/]" if report.microcredential else f"[yellow]{words['not_mc']}[/]"
    level = f"[bold]{escape(level_label(report.level, lang))}[/]"
    console.print(f"\n[bold]{title}[/]\n  <{escape(report.offer)}>\n  {status} · {level} · {mc}")
    if report.missing:
        console.print(f"  {words['missing']}: " + ", ".join(escape(labels.get(k, k)) for k in report.missing))
    if report.violations:
        console.print(f"  [red]{words['problems']}:[/]")
        for finding in report.violations:
            console.print(f"   • {escape(_where(finding))}{escape(finding.message(lang))}")
    if report.conforms and report.europass_gaps:
        console.print(f"  [yellow]{words['europass']}:[/]")
        for finding in report.europass_gaps:
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


@contextlib.contextmanager
def harvest_progress(console: Console) -> Iterator[Callable[[str], Callable[[str, int], None]]]:
    """One progress display for sources harvested side by side: a line per source and stage (records read, offers validated).

    Yields a function that gives the progress callback of one source. Without a terminal (logs, CI), a line is printed
    as each stage of a source starts instead.
    """
    bar = Progress(
        TextColumn("[bold]{task.fields[source]}[/]"),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[tuple[str, str], object] = {}
    guard = threading.Lock()
    with bar:
        def for_source(source_id: str) -> Callable[[str, int], None]:
            def advance(stage: str, n: int) -> None:
                with guard:
                    if (source_id, stage) not in tasks:
                        tasks[(source_id, stage)] = bar.add_task(stage, total=None, source=escape(source_id))
                        if not console.is_terminal:
                            console.print(f"{escape(source_id)}: {stage} …")
                bar.advance(tasks[(source_id, stage)], n)

            return advance

        yield for_source


OUTCOME_STYLE = {"published": "green", "unchanged": "green", "partial": "yellow", "held": "yellow", "failed": "bold red"}


def print_harvest(console: Console, outcomes) -> None:
    table = Table(title="Harvest")
    for column in ("source", "outcome", "seen", "published", "quarantined", "unchanged", "withdrawn", "errors", "seconds"):
        table.add_column(column, justify="left" if column in ("source", "outcome") else "right")
    for outcome in outcomes:
        run = outcome.run
        style = OUTCOME_STYLE.get(run.outcome or "", "")
        table.add_row(
            run.source, f"[{style}]{run.outcome}[/]", str(run.seen), str(run.published), str(run.quarantined),
            str(run.unchanged), str(run.withdrawn), str(run.errors), f"{run.seconds or 0:.2f}",
        )
    console.print(table)
    for outcome in outcomes:
        run = outcome.run
        if run.outcome in ("failed", "held", "partial") or outcome.errors:
            console.print(f"[bold]{escape(run.source)}[/]: {escape(run.message or '')}")
            for error in outcome.errors[:5]:
                console.print(f"   • {escape(error.record)} ({error.stage}, {error.code}): {escape(error.message)}")
            if len(outcome.errors) > 5:
                console.print(f"   … and {len(outcome.errors) - 5} more: catalogue report {escape(run.source)}")
        if outcome.notes:
            kinds: dict[str, int] = {}
            for note in outcome.notes:
                kinds[note.kind] = kinds.get(note.kind, 0) + 1
            summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            console.print(f"[dim]{escape(run.source)}: mapping notes: {summary} (catalogue report {escape(run.source)})[/]")


def print_sources(console: Console, rows) -> None:
    table = Table(title="Sources")
    for column in ("id", "name", "harvester", "last run", "outcome", "published", "quarantined", "errors"):
        table.add_column(column)
    for source, run in rows:
        if run is None:
            table.add_row(source.id, escape(source.name), source.harvester, "never", "", "", "", "")
            continue
        style = OUTCOME_STYLE.get(run.outcome or "", "")
        table.add_row(
            source.id, escape(source.name), source.harvester, run.started, f"[{style}]{run.outcome}[/]",
            str(run.published), str(run.quarantined), str(run.errors),
        )
    console.print(table)


def print_source_report(console: Console, source_id: str, counts, last, errors, notes) -> None:
    console.print(f"Source [bold]{escape(source_id)}[/]: {counts['offers']} published, {counts['quarantined']} in quarantine.")
    if last is not None:
        console.print(f"Last run {last.started}: [bold]{last.outcome}[/]. {escape(last.message or '')}")
    if errors:
        console.print(f"\n[red]Records that could not be read ({len(errors)}):[/]")
        for error in errors:
            where = f" at {error['position']}" if error.get("position") else ""
            console.print(f"  • {escape(error['record'] or '')} {escape('[' + error['stage'] + '/' + error['code'] + ']')}{escape(where)}: {escape(error['message'])}")
    if notes:
        console.print(f"\n[yellow]Mapping notes ({len(notes)}): values the catalogue dropped, could not map, or guessed[/]")
        for note in notes:
            detail = f" — {escape(note['detail'])}" if note.get("detail") else ""
            console.print(f"  • {escape(note['record'])}: {note['kind']} {escape(note['field'])} = {escape(note['value'])}{detail}")


def level_json(entry: dict, lang: str) -> dict:
    """A published offer's level and what its next level needs, in plain words."""
    following = NEXT_LEVEL.get(entry["level"])
    if following == EUROPASS_READY:
        needs = [gap_label(g, lang) for g in entry["europass_gaps"]]
    else:
        annex = {e.key: e.label(lang) for e in load_vocabulary().annex_elements()}
        needs = [annex.get(k, k) for k in entry["missing"]]
    return {
        "offer": entry["offer"], "title": entry["title"], "level": entry["level"], "level_label": level_label(entry["level"], lang),
        "next_level": {"level": following, "label": level_label(following, lang), "needs": needs} if following else None,
    }


def print_levels(console: Console, levels: list[dict], lang: str) -> None:
    """How many offers reached each level, and for each offer below the top what would lift it."""
    if not levels:
        return
    counts = {level: sum(1 for e in levels if e["level"] == level) for level in (COMPLETE, EUROPASS_READY, LISTED)}
    console.print("\n" + "; ".join(f"{level_label(level, lang)}: {n}" for level, n in counts.items()) + ".")
    heading = {"sv": "Vad som lyfter ett erbjudande till nästa nivå", "en": "What would lift an offer to the next level"}.get(lang)
    below = [level_json(e, lang) for e in levels if e["level"] != COMPLETE]
    if below:
        console.print(f"[yellow]{heading}:[/]")
    for entry in below:
        step = entry["next_level"]
        console.print(f"  • {escape(entry['title'] or entry['offer'])} ({escape(entry['level_label'])}) → {escape(step['label'])}: "
                      + escape(", ".join(step["needs"]) or "-"))


def print_mapping(console: Console, harvester) -> None:
    console.print(f"[bold]{escape(harvester.kind)}[/]: {escape(harvester.title)}")
    table = Table("source field", "ELM", "how")
    for source_field, target, how in harvester.mapping:
        table.add_row(escape(source_field), escape(target), escape(how))
    console.print(table)
