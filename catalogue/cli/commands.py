"""The ``catalogue`` command: one verb per job.

Exit statuses are part of the interface: ``validate`` exits 0 when every offer
meets the publishing profile (warnings allowed), 1 when any offer violates it
or an input holds no offer, 2 when an input cannot be read or parsed. Other
commands exit 0 on success, 1 when they did their job but something needs
attention, 2 on bad input or configuration.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from rich.console import Console

from catalogue import __version__
from catalogue.config import Config, load_config
from catalogue.errors import CatalogueError, InputError
from catalogue.harvest.rdfio import read_rdf
from catalogue.iris import graph_prefix

stdout = Console(highlight=False, soft_wrap=True, emoji=False)
stderr = Console(stderr=True, highlight=False, emoji=False)


class CatalogueGroup(click.Group):
    """Turns the catalogue's own errors into one-line messages with exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CatalogueError as error:
            stderr.print(f"[bold red]Error:[/] {_escape(str(error))}")
            ctx.exit(2)


@click.group(cls=CatalogueGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file (default: ./catalogue.toml if present, else built-in defaults: store under ./data).",
)
@click.version_option(__version__, prog_name="catalogue")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """A linked-data catalogue of learning opportunities that lead to micro-credentials.

    Harvest offers, check them against the European Learning Model (ELM) and the
    micro-credential profile, publish them over SPARQL and as a guidance site.
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


def get_config(ctx: click.Context) -> Config:
    root = ctx.find_root()
    if "config" not in root.obj:
        root.obj["config"] = load_config(root.obj.get("config_path"))
    return root.obj["config"]


def lang_option(function):
    @click.option("--lang", type=click.Choice(["en", "sv"]), default="en", show_default=True, help="Language of messages and labels.")
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapper


# -- validate ----------------------------------------------------------------------


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_URL...")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--no-cache", is_flag=True, help="Validate every offer again, ignoring earlier results.")
@click.option("--workers", type=int, default=None, help="Processes to validate with (default: one per core).")
@click.option("--kind", default=None, metavar="KIND",
              help="Read the inputs with this harvester (e.g. ooapi for an API address, schemaorg for a sitemap); "
                   "default: recognised from the content (RDF, XCRI-CAP, LOQ XML, a schema.org page, CSV/XLSX).")
@lang_option
@click.pass_context
def validate(ctx: click.Context, inputs: tuple[str, ...], output_format: str, no_cache: bool, workers: int | None, kind: str | None,
             lang: str) -> None:
    """Check offers before publishing them: RDF (Turtle, JSON-LD, RDF/XML, N-Triples, N-Quads, TriG) or any
    format a harvester reads, mapped exactly as a harvest would map it.

    Reports, for each offer, its level (listed, Europass-ready, complete micro-credential),
    what the next level needs, and what to fix. Exit status: 0 all offers listed, 1 some
    offer is not (or an input holds no offer), 2 an input cannot be read.
    """
    from catalogue.harvest.self_check import check_locations
    from catalogue.validation.validator import Validator, validator_settings
    from catalogue.vocab import load_vocabulary

    from . import output

    config = get_config(ctx)
    settings = validator_settings(config, None if no_cache else config.cache_path, workers)
    with Validator(config.base, settings) as validator, output.progress(stderr, "Validating", unit="offers") as progress:
        run = check_locations(validator, inputs, progress, kind=kind, config=config)
    if output_format == "json":
        click.echo(json.dumps(run.as_json(lang, load_vocabulary()), ensure_ascii=False, indent=2))
    else:
        output.print_validation(stdout, run, lang, load_vocabulary())
    ctx.exit(run.exit_status)


# -- load ----------------------------------------------------------------------------


@main.command()
@click.argument("file", metavar="FILE_OR_URL")
@click.option("--source", "source_id", required=True, help="Source id (slug) whose graph this replaces.")
@lang_option
@click.pass_context
def load(ctx: click.Context, file: str, source_id: str, lang: str) -> None:
    """Validate FILE and make it the content of source SOURCE.

    Offers that meet the publishing profile are published; the others are kept
    in quarantine with their report (see ``catalogue report SOURCE``). The
    source's previous content is replaced in one atomic write.
    """
    from catalogue.config import SOURCE_ID
    from catalogue.harvest.admission import admit
    from catalogue.store.factory import open_store
    from catalogue.validation.validator import Validator, validator_settings
    from catalogue.vocab import load_vocabulary

    from . import output

    if not SOURCE_ID.match(source_id):
        raise click.BadParameter("a source id is a slug: lower-case letters, digits and hyphens.", param_hint="--source")
    config = get_config(ctx)
    document = read_rdf(file)
    settings = validator_settings(config, config.cache_path)
    with Validator(config.base, settings) as validator, output.progress(stderr, "Validating", unit="offers") as progress:
        result = validator.validate_document(document, progress)
    if not result.reports:
        raise InputError(
            "no offer to load: the document contains no elm:LearningOpportunity. "
            "The source was left as it was.",
            file,
        )
    records = result.extraction.offers if result.extraction else None
    if records is None:
        from catalogue.validation.offers import extract_offers

        records = extract_offers(document.quads, load_vocabulary(), config.base).offers
    from datetime import datetime, timezone

    from catalogue.harvest.state import HarvestState

    store = open_store(config)
    state = HarvestState(config.data_dir / "state.sqlite")
    try:
        store.ensure_vocabulary(load_vocabulary())
        now = datetime.now(timezone.utc)
        outcome = admit(store, state, source_id, records, result.reports, now=now, run=None)
        _publish(config, store, force=not outcome.change.empty)
    finally:
        store.close()
        state.close()
    output.print_publish(stdout, source_id, outcome, result.notes)


# -- harvest, sources, report, mapping ---------------------------------------------------


@main.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE...]")
@click.option("--accept-shrink", is_flag=True, help="Publish even if a source shrank by more than its max_shrink.")
@click.option("--timings", is_flag=True, help="Print the seconds spent in each stage (fetch and map, extract, validate, write, publish), "
              "and the CPU seconds the sources' own threads ran in each (waits for the server, the cores and the other sources left out).")
@click.option("--no-publish", is_flag=True,
              help="Write the store only; make the published generation (snapshot, dumps, search index) later with: catalogue publish.")
@click.pass_context
def harvest(ctx: click.Context, source_ids: tuple[str, ...], accept_shrink: bool, timings: bool, no_publish: bool) -> None:
    """Harvest the configured sources (all, or those named): fetch, map to ELM, validate, publish.

    Sources are fetched side by side ([harvest] concurrency, default 4); each is validated and written
    on its own, atomically.

    Exit status 1 when any source failed or was held for review; its previous
    content is kept either way.
    """
    from catalogue.harvest.pipeline import harvest_source
    from catalogue.harvest.state import HarvestState
    from catalogue.store.factory import open_store
    from catalogue.validation.validator import Validator, validator_settings

    from . import output

    config = get_config(ctx)
    sources = [config.source(i) for i in source_ids] if source_ids else list(config.sources)
    if not sources:
        raise CatalogueError("No sources to harvest: add [[sources]] to the configuration (see README).")
    store = open_store(config)
    state = HarvestState(config.data_dir / "state.sqlite")
    settings = validator_settings(config, config.cache_path)
    serial = threading.Lock()
    try:
        with Validator(config.base, settings) as validator:
            validator.start_workers()  # fork the validation workers before any harvesting thread starts
            with output.harvest_progress(stderr) as progress, ThreadPoolExecutor(max_workers=max(1, config.harvest_concurrency)) as pool:
                futures = [
                    pool.submit(harvest_source, config, source, store, state, validator, progress(source.id), accept_shrink, serial=serial)
                    for source in sources
                ]
                outcomes = [future.result() for future in futures]
        changed = any(o.run.outcome in ("published", "partial") for o in outcomes)
        generation = None if no_publish else _publish(config, store, force=changed)
    finally:
        store.close()
        state.close()
    output.print_harvest(stdout, outcomes)
    if generation is not None:
        stdout.print(f"Published generation {generation.id}: {generation.meta.get('offers', 0)} offers, dumps and search index.")
    if timings:
        totals = _summed(outcome.timings for outcome in outcomes)
        for stage, seconds in (generation.meta.get("timings", {}) if generation else {}).items():
            totals[f"publish: {stage}"] = seconds
        stdout.print("Timings (seconds, summed over sources): " + ", ".join(f"{k} {v:.2f}" for k, v in totals.items()))
        busy = _summed(outcome.busy for outcome in outcomes)
        if busy:
            # Sources harvested at once share the cores and the interpreter lock: each stage's seconds above count the
            # waits, these only what its threads ran (the harvest's own work, not the validation workers').
            stdout.print("Busy (CPU seconds of the sources' threads, summed): " + ", ".join(f"{k} {v:.2f}" for k, v in busy.items()))
    if any(o.run.outcome in ("failed", "held") for o in outcomes):
        ctx.exit(1)


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def sources(ctx: click.Context, output_format: str) -> None:
    """The configured sources with the outcome, time and counts of their last run."""
    from dataclasses import asdict

    from catalogue.harvest.state import HarvestState

    from . import output

    config = get_config(ctx)
    state = HarvestState(config.data_dir / "state.sqlite")
    try:
        rows = [(source, state.last_run(source.id)) for source in config.sources]
    finally:
        state.close()
    if output_format == "json":
        data = [
            {"id": s.id, "name": s.name, "harvester": s.harvester, "urls": list(s.urls), "last_run": asdict(r) if r else None}
            for s, r in rows
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        output.print_sources(stdout, rows)


@main.command()
@click.argument("source_id", metavar="SOURCE")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option
@click.pass_context
def report(ctx: click.Context, source_id: str, output_format: str, lang: str) -> None:
    """What a provider should fix: quarantined offers, errors and mapping notes of the last run of SOURCE."""
    from dataclasses import asdict

    from catalogue.harvest.records import findings_from_store, levels_from_store
    from catalogue.harvest.state import HarvestState
    from catalogue.store.factory import open_store
    from catalogue.validation.report import ValidationRun
    from catalogue.vocab import load_vocabulary

    from . import output

    config = get_config(ctx)
    store = open_store(config, read_only=True)
    try:
        reports = findings_from_store(store, store.quarantine_graph(source_id))
        levels = levels_from_store(store, source_id)
        counts = store.source_counts().get(source_id)
    finally:
        store.close()
    state = HarvestState(config.data_dir / "state.sqlite")
    try:
        last = state.last_run(source_id)
        errors = state.run_errors(last.id) if last else []
        notes = state.run_notes(last.id) if last else []
    finally:
        state.close()
    if counts is None and last is None:
        raise CatalogueError(f"The catalogue knows nothing of source '{source_id}' yet: harvest or load it first.")
    counts = counts or {"offers": 0, "triples": 0, "quarantined": 0}
    run = ValidationRun(reports=list(reports.values()))
    if output_format == "json":
        # "offers" are the reports of quarantined offers (their count is "quarantined"); the run read no
        # input, so "errors" are the last harvest's, which its own empty list must not hide.
        payload = {
            "source": source_id,
            **counts,
            "last_run": asdict(last) if last else None,
            "mapping_notes": notes,
            "published": [output.level_json(entry, lang) for entry in levels],
            **run.as_json(lang, load_vocabulary()),
            "errors": errors,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    output.print_source_report(stdout, source_id, counts, last, errors, notes)
    output.print_levels(stdout, levels, lang)
    if reports:
        output.print_validation(stdout, run, lang, load_vocabulary())


@main.command()
@click.argument("kind", required=False)
def mapping(kind: str | None) -> None:
    """How a harvester kind maps its format onto ELM (without KIND: the known kinds)."""
    from catalogue.harvest.registry import available, load_harvester

    from . import output

    if kind is None:
        for name, target in sorted(available().items()):
            stdout.print(f"{name:12} {target}")
        return
    output.print_mapping(stdout, load_harvester(kind))


# -- query, stats, export --------------------------------------------------------------


@main.command()
@click.argument("sparql", metavar="SPARQL")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv", "tsv", "xml", "turtle", "ntriples"]), default="table", show_default=True)
@click.option("--graph", "graphs", multiple=True, help="Query these graphs as the default graph instead of the public view.")
@click.pass_context
def query(ctx: click.Context, sparql: str, output_format: str, graphs: tuple[str, ...]) -> None:
    """Run a SPARQL query on the store. SPARQL may be the query, @FILE, or - for standard input.

    The default graph is the public catalogue (sources, records, vocabulary); the
    usual prefixes (elm:, dcterms:, skos:, ...) are declared for you.
    """
    from catalogue.store.factory import open_store

    from . import output

    text = _read_argument(sparql)
    config = get_config(ctx)
    store = open_store(config, read_only=True)
    try:
        try:
            result = store.query(text, default_graphs=list(graphs) or None)
        except SyntaxError as error:
            raise CatalogueError(f"The query is not valid SPARQL: {error}") from None
        output.print_query_result(stdout, result, output_format)
    finally:
        store.close()


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stats(ctx: click.Context, output_format: str) -> None:
    """Counts per source: published offers, quarantined offers, triples."""
    from catalogue.store.factory import open_store

    from . import output

    config = get_config(ctx)
    store = open_store(config, read_only=True)
    try:
        counts = store.source_counts()
        vocabulary = store.count(store.vocabulary_graph)
        graphs = store.graphs()
        distinct = store.distinct_offer_count()
    finally:
        store.close()
    if output_format == "json":
        click.echo(json.dumps({"sources": counts, "offers": distinct, "vocabulary_triples": vocabulary, "graphs": graphs}, indent=2))
    else:
        output.print_stats(stdout, counts, vocabulary)
        published = sum(c["offers"] for c in counts.values())
        stdout.print(f"{distinct} distinct offers" + (f" ({published - distinct} published by more than one source)" if published > distinct else "") + ".")


@main.command()
@click.option("--format", "export_format", type=click.Choice(["nquads", "trig", "turtle", "ntriples"]), default="nquads", show_default=True)
@click.option("--output", "-o", "destination", default="-", help="File to write, or - for standard output.")
@click.option("--include", multiple=True, type=click.Choice(["quarantine", "provenance"]), help="Also export these non-public graphs.")
@click.option("--no-vocabulary", is_flag=True, help="Leave out the vocabulary graph.")
@click.pass_context
def export(ctx: click.Context, export_format: str, destination: str, include: tuple[str, ...], no_vocabulary: bool) -> None:
    """Export the public catalogue (N-Quads and TriG keep one graph per source)."""
    from catalogue.store.factory import open_store

    config = get_config(ctx)
    store = open_store(config, read_only=True)
    try:
        graphs = store.public_graphs()
        if no_vocabulary:
            graphs = [g for g in graphs if g != store.vocabulary_graph]
        if "quarantine" in include:
            graphs += [g for g in store.graphs() if g.startswith(graph_prefix(store.base, "quarantine"))]
        if "provenance" in include and store.provenance_graph in store.graphs():
            graphs.append(store.provenance_graph)
        if destination == "-":
            count = store.export(sys.stdout.buffer, export_format, graphs)
            sys.stdout.buffer.flush()
        else:
            with open(destination, "wb") as handle:
                count = store.export(handle, export_format, graphs)
    finally:
        store.close()
    stderr.print(f"Exported {count} statements from {len(graphs)} graphs.")


def _summed(per_source: Iterable[dict[str, float]]) -> dict[str, float]:
    """Seconds per stage, added up over the sources."""
    totals: dict[str, float] = {}
    for stages in per_source:
        for stage, seconds in stages.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    return totals


def _publish(config: Config, store, force: bool):
    """A new published generation (snapshot, dumps, search index) when the store changed or none exists yet."""
    from catalogue.publish.generations import current_generation, publish_generation

    if force or current_generation(config) is None:
        return publish_generation(config, store)
    return None


@main.command(name="publish")
@click.option("--timings", is_flag=True, help="Print the seconds spent in each stage (snapshot, dumps, search index …).")
@click.pass_context
def publish_command(ctx: click.Context, timings: bool) -> None:
    """Make a new published generation now: store snapshot, dumps and search index for the server."""
    from catalogue.store.factory import open_store

    config = get_config(ctx)
    store = open_store(config)
    try:
        generation = _publish(config, store, force=True)
    finally:
        store.close()
    if generation is not None:
        stdout.print(f"Published generation {generation.id}: {generation.meta.get('offers', 0)} offers.")
        if timings:
            stdout.print("Timings (seconds): " + ", ".join(f"publish: {k} {v:.2f}" for k, v in generation.meta.get("timings", {}).items()))


@main.command(name="build-site")
@click.argument("outdir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def build_site_command(ctx: click.Context, outdir: Path | None) -> None:
    """Build the guidance site (Swedish and English) from the published catalogue into OUTDIR.

    Default OUTDIR: the site folder that ``catalogue serve`` serves (data/site).
    Only pages whose content changed are written again.
    """
    from catalogue.site.builder import build_site

    from . import output

    config = get_config(ctx)
    target = outdir or config.data_dir / "site"
    with output.counted_progress(stderr, "Rendering offer pages", "offers") as advance:
        report = build_site(config, target, advance)
    stdout.print(
        f"Site in {target}: {report.offers} offers, {report.offers_rendered} offer pages rendered, "
        f"{report.written} files written, {report.unchanged} unchanged, {report.removed} removed in {report.seconds:.1f} s."
    )


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def template(folder: Path) -> None:
    """Write the spreadsheet template for providers (XLSX, CSV and a description of every column) into FOLDER."""
    from catalogue.harvest.registry import template_writer

    for path in template_writer("spreadsheet")(folder):
        stdout.print(f"Wrote {path}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--allow-updates", is_flag=True, help="Accept SPARQL Update on an empty in-memory store: for the W3C conformance tests only; loopback only.")
@click.option("--log-level", type=click.Choice(["info", "warning", "error"]), default="info", show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, allow_updates: bool, log_level: str) -> None:
    """Serve the SPARQL endpoint, the APIs and the guidance site (if built) on 127.0.0.1:8000."""
    import logging

    import uvicorn

    from catalogue.server.app import ServerSettings, create_app
    from catalogue.store.oxigraph import OxigraphStore

    config = get_config(ctx)
    settings = ServerSettings.from_config(config, host=host, port=port, allow_updates=allow_updates or None)
    update_store = OxigraphStore.open(None, config.base) if settings.allow_updates else None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from catalogue.site.live import LivePages

    app = create_app(config, settings, update_store, pages=LivePages(config))
    stdout.print(f"Serving {config.title} on http://{settings.host}:{settings.port}/ (SPARQL at /sparql, API docs at /docs)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False)


def _read_argument(value: str) -> str:
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the query file ({error}).", str(path)) from None
    return value


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
