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

import pyoxigraph as ox

from catalogue.namespaces import FOAF, MCC
from catalogue.store.base import CatalogueStore, GraphWrite

CURRENT = "current"
ENDED = "ended"
CANCELLED = "cancelled"
STATUS_IRIS = {CURRENT: MCC + "Current", ENDED: MCC + "Ended", CANCELLED: MCC + "Cancelled"}
STATUS_KEYS = {iri: key for key, iri in STATUS_IRIS.items()}
HIDDEN = (ENDED, CANCELLED)
FLEXIBLE_START_TOPIC = "https://w3id.org/mc-catalogue/note-topic/flexible-start"
_CANCELLED_WORDS = {"cancelled", "canceled", "inställd", "inställt", "abgesagt", "geannuleerd", "annulé", "annulée", "annule"}
_TIME_STATUS = ox.NamedNode(MCC + "timeStatus")


def time_status(
    start: str | None,
    end: str | None,
    deadlines: Iterable[str],
    flexible: bool,
    statuses: Iterable[str],
    now: datetime,
) -> str:
    """The status of one offer at ``now`` (dates as xsd:dateTime text; a date that cannot be read counts as absent)."""
    if any(text.strip().casefold() in _CANCELLED_WORDS for text in statuses):
        return CANCELLED
    if flexible:
        return CURRENT
    end_at = _moment(end)
    if end_at is not None and end_at < now:
        return ENDED
    start_at = _moment(start)
    deadline_times = [moment for moment in (_moment(d) for d in deadlines) if moment is not None]
    if start_at is not None and start_at < now and deadline_times and max(deadline_times) < now:
        return ENDED
    return CURRENT


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def refresh_statuses(store: CatalogueStore, now: datetime) -> dict[str, int]:
    """Write each published offer's status at ``now`` to its record where it changed; returns the counts."""
    counts = {CURRENT: 0, ENDED: 0, CANCELLED: 0}
    writes = []
    for source in store.source_ids():
        facts = _facts(store, store.source_graph(source))
        removals, additions = [], []
        for row in store.query(
            f"SELECT ?r ?o ?s WHERE {{ GRAPH <{store.records_graph(source)}> {{ ?r <{FOAF}primaryTopic> ?o "
            f"OPTIONAL {{ ?r <{MCC}timeStatus> ?s }} }} }}",
            default_graphs=[], prefixes=False,
        ):
            offer = row["o"].value
            if offer not in facts:
                continue
            status = time_status(*facts[offer], now=now)
            counts[status] += 1
            new = ox.NamedNode(STATUS_IRIS[status])
            if row["s"] != new:
                if row["s"] is not None:
                    removals.append(ox.Triple(row["r"], _TIME_STATUS, row["s"]))
                additions.append(ox.Triple(row["r"], _TIME_STATUS, new))
        if removals or additions:
            writes.append(GraphWrite(store.records_graph(source), remove=removals, add=additions))
    if writes:
        store.write(writes)
    return counts


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
