"""Whether an offer is still of use to a learner today: current, ended or cancelled.

Computed at publish time (the same offer ends while nothing is harvested) and written to
the offer's catalogue record as ``mcc:timeStatus``, from where the search index, the API
and the site read it. Ended and cancelled offers leave the default search, browse pages
and counts; they stay in SPARQL and the dumps, with their status.

* **cancelled**: the source says so (``elm:status`` reads "cancelled" in one of the
  catalogue's languages, as harvesters write it for a source's cancellation flag);
* **ended**: its end date has passed, or both its start date and its last application
  deadline have passed; an offer one can start at any time (a note with the catalogue's
  flexible-start topic) is never ended by its dates alone, and one without dates never is;
* **current**: everything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pyoxigraph as ox

from catalogue.namespaces import DCTERMS, ELM, FOAF, MCC
from catalogue.store.base import CatalogueStore, GraphWrite
from catalogue.store.graph_text import GraphTexts

from .kept_work import KeptWork

if TYPE_CHECKING:
    from .kept_summaries import KeptSummaries
    from .offer_walk import Statements

CURRENT = "current"
ENDED = "ended"
CANCELLED = "cancelled"
STATUS_IRIS = {CURRENT: MCC + "Current", ENDED: MCC + "Ended", CANCELLED: MCC + "Cancelled"}
STATUS_KEYS = {iri: key for key, iri in STATUS_IRIS.items()}
HIDDEN = (ENDED, CANCELLED)
FLEXIBLE_START_TOPIC = "https://w3id.org/mc-catalogue/note-topic/flexible-start"
_CANCELLED_WORDS = {"cancelled", "canceled", "inställd", "inställt", "abgesagt", "geannuleerd", "annulé", "annulée", "annule"}
_TIME_STATUS = ox.NamedNode(MCC + "timeStatus")
_TEMPORAL, _SUBJECT = DCTERMS + "temporal", DCTERMS + "subject"
_START, _END, _DEADLINE, _NOTE, _STATUS = (ELM + name for name in ("startDate", "endDate", "applicationDeadline", "additionalNote", "status"))


def time_status(
    start: str | None,
    end: str | None,
    deadlines: Iterable[str],
    flexible: bool,
    statuses: Iterable[str],
    now: datetime,
) -> str:
    """The status of one offer at ``now`` (dates as xsd:dateTime text; a date that cannot be read counts as absent)."""
    return status_until(start, end, deadlines, flexible, statuses, now)[0]


def status_until(
    start: str | None,
    end: str | None,
    deadlines: Iterable[str],
    flexible: bool,
    statuses: Iterable[str],
    now: datetime,
) -> tuple[str, float | None]:
    """``time_status`` and the moment (POSIX seconds) after which it may be other; None when only the data can change it."""
    if any(text.strip().casefold() in _CANCELLED_WORDS for text in statuses):
        return CANCELLED, None
    if flexible:
        return CURRENT, None
    end_at = _moment(end)
    if end_at is not None and end_at < now:
        return ENDED, None
    start_at = _moment(start)
    deadline_times = [moment for moment in (_moment(d) for d in deadlines) if moment is not None]
    last_deadline = max(deadline_times) if deadline_times else None
    if start_at is not None and last_deadline is not None and start_at < now and last_deadline < now:
        return ENDED, None
    turns = [end_at] if end_at is not None else []
    if start_at is not None and last_deadline is not None:
        turns.append(max(start_at, last_deadline))
    return CURRENT, min(turns).timestamp() if turns else None


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def refresh_statuses(store: CatalogueStore, now: datetime, kept: KeptWork | None = None, texts: GraphTexts | None = None,
                     summaries: KeptSummaries | None = None) -> dict[str, int]:
    """Write each published offer's status at ``now`` to its record where it changed; returns the counts.

    With ``kept`` (on a store that stamps its graphs), a source whose graphs were not written since the last publish
    is not read again: its offers' facts, records and statuses come from what that publish kept, and only the offers
    whose status may have turned since (an end date or the last deadline passed) are worked out again. With
    ``texts``, a records graph's kept copy (``store.graph_text``) is changed as the graph is. With ``summaries``, a source
    the harvest wrote gives the facts it kept of its offers (``_read``)."""
    counts = {CURRENT: 0, ENDED: 0, CANCELLED: 0}
    moment = now.timestamp()
    for source in store.source_ids():
        graphs = [store.source_graph(source), store.records_graph(source)]
        entry = kept.get(source, graphs) if kept is not None else None
        fresh = entry is None or entry["moment"] > moment  # a publish "earlier" than the kept one starts again
        offers: dict[str, list] = _read(store, source, summaries) if fresh else entry["offers"]
        removals, additions = [], []
        worked_out = 0
        for item in offers.values():
            record, facts, written, until = item
            if fresh or (until is not None and until <= moment):
                worked_out += 1
                status, until = status_until(*facts, now=now)
                # Only an offer whose dates may still end it needs its facts again.
                item[1], item[3] = (facts if until is not None else None), until
                new = STATUS_IRIS[status]
            else:
                new = written
                status = STATUS_KEYS[new]
            counts[status] += 1
            if new != written:
                if written is not None:
                    removals.append(ox.Triple(ox.NamedNode(record), _TIME_STATUS, ox.NamedNode(written)))
                additions.append(ox.Triple(ox.NamedNode(record), _TIME_STATUS, ox.NamedNode(new)))
                item[2] = new
        entry = {"moment": moment, "offers": offers}
        if removals or additions:
            # Written source by source: a first publish of a million offers gives every record a status, and one write
            # of them all held a million triples at once. Nothing reads these statuses before the snapshot.
            stamps = store.graph_stamps()
            store.write([GraphWrite(store.records_graph(source), remove=removals, add=additions)])
            if texts is not None:
                texts.patch(store.records_graph(source), stamps, store.graph_stamps(), removals, additions)
            if kept is not None:
                kept.put(source, graphs, entry)  # after the write: under the records graph's new stamp
        elif kept is not None and worked_out:
            kept.put(source, graphs, entry)  # else what is kept stands as it is
    return counts


def _read(store: CatalogueStore, source: str, summaries: KeptSummaries | None = None) -> dict[str, list]:
    """Per published offer of ``source`` that has a record: [record IRI, its facts, the status IRI its record has, None].

    The facts are those the harvest kept with the offers' summaries (``kept_summaries``) when it kept them for every
    offer's current content; else they are read from the source graph."""
    rows = [(row["r"], row["o"].value, row["s"].value if row["s"] is not None else None, row["h"].value if row["h"] is not None else None)
            for row in store.query(
                f"SELECT ?r ?o ?s ?h WHERE {{ GRAPH <{store.records_graph(source)}> {{ ?r <{FOAF}primaryTopic> ?o "
                f"OPTIONAL {{ ?r <{MCC}timeStatus> ?s }} OPTIONAL {{ ?r <{MCC}contentHash> ?h }} }} }}",
                default_graphs=[], prefixes=False)]
    kept = summaries.facts(source) if summaries is not None else None
    if kept is not None and all(offer in kept and kept[offer][0] == content_hash for _, offer, _, content_hash in rows):
        facts = {offer: kept[offer][1] for _, offer, _, _ in rows}
    else:
        facts = _facts(store, store.source_graph(source))
    offers = {}
    for record, offer, status, _ in rows:
        if offer in facts and isinstance(record, ox.NamedNode):
            offers[offer] = [record.value, facts[offer], status, None]
    return offers


def offer_facts(statements: Statements, offer: str) -> tuple:
    """What ``_facts`` reads of one offer, from its statements in hand (the harvest's): the same values."""
    starts = [t.value for temporal in statements.nodes(offer, _TEMPORAL) for t in statements.values(temporal, _START)]
    ends = [t.value for temporal in statements.nodes(offer, _TEMPORAL) for t in statements.values(temporal, _END)]
    deadlines = [part for value in dict.fromkeys(d.value for d in statements.values(offer, _DEADLINE)) for part in value.split()]
    flexible = any(t.value == FLEXIBLE_START_TOPIC for note in statements.nodes(offer, _NOTE) for t in statements.values(note, _SUBJECT))
    statuses = "\n".join(dict.fromkeys(t.value for t in statements.values(offer, _STATUS)))
    return (min(starts) if starts else None, max(ends) if ends else None, deadlines, flexible, statuses.split("\n") if statuses else [])


def _facts(store: CatalogueStore, graph: str) -> dict[str, tuple]:
    """Per offer of ``graph``: (start, end, deadlines, flexible, statuses), as ``time_status`` takes them."""
    facts: dict[str, tuple] = {}
    rows = store.query(
        f"""SELECT ?o (MIN(STR(?start)) AS ?s) (MAX(STR(?end)) AS ?e) (GROUP_CONCAT(DISTINCT STR(?deadline); SEPARATOR=" ") AS ?d)
                   (COUNT(?flex) AS ?f) (GROUP_CONCAT(DISTINCT STR(?status); SEPARATOR="\\n") AS ?st)
            WHERE {{ GRAPH <{graph}> {{
                ?o a elm:LearningOpportunity .
                OPTIONAL {{ ?o dcterms:temporal ?t . OPTIONAL {{ ?t elm:startDate ?start }} OPTIONAL {{ ?t elm:endDate ?end }} }}
                OPTIONAL {{ ?o elm:applicationDeadline ?deadline }}
                OPTIONAL {{ ?o elm:additionalNote ?flex . ?flex dcterms:subject <{FLEXIBLE_START_TOPIC}> }}
                OPTIONAL {{ ?o elm:status ?status }}
            }} }} GROUP BY ?o""",
        default_graphs=[],
    )
    for row in rows:
        deadlines = row["d"].value.split() if row["d"] is not None else []
        statuses = row["st"].value.split("\n") if row["st"] is not None and row["st"].value else []
        facts[row["o"].value] = (
            row["s"].value if row["s"] is not None else None,
            row["e"].value if row["e"] is not None else None,
            deadlines,
            int(row["f"].value) > 0,
            statuses,
        )
    return facts
