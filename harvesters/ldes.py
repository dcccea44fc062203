"""``ldes``: a Linked Data Event Stream (LDES) of ELM offers, such as another catalogue's ``/feed``.

``url`` is the event stream (its IRI, which leads by ``tree:view`` to its first
page) or any page of it. The harvester follows ``tree:view`` and every
``tree:relation`` (``tree:node``, whatever the relation's type: a replica needs
every page), reads each page's ``tree:member``\\s and keeps, per entity, only
its latest version:

* the stream's ``ldes:versionOfPath`` names the entity a member is a version of
  (without it each member is its own entity), its ``ldes:timestampPath`` when
  the version was made; the latest timestamp wins, and of two with the same
  time the one read later;
* a member typed ``as:Delete``, ``as:Remove`` or ``as:Tombstone``, or matching
  the stream's ``ldes:versionDeletePath``/``ldes:versionDeleteObject``, deletes
  the entity: its offer is withdrawn;
* a member's statements are those in the named graph named by the member (as the
  catalogue's own feed serves them in TriG and N-Quads, which are asked for
  first), else everything the member reaches in the page by following its
  properties outward, not into other members nor the stream's hypermedia;
* a version's statements are rewritten onto the entity, so the offer has its own
  IRI again; the version's bookkeeping (``versionOfPath``, ``timestampPath``,
  its activity type) is left out, and every other node keeps its IRI.

Incremental reads. The pipeline treats every run as the whole source (what a run
does not yield is withdrawn), so the harvester keeps a **mirror** beside the
source's HTTP cache (``ldes-mirror.json.gz``): the latest version of every entity,
the member IRIs applied, the last member timestamp, and the pages read with their
links. A re-run does not request a page it has read that is immutable
(``ldes:immutable true``; the catalogue's full pages are); it asks for the other
pages again (conditionally: an unchanged page costs a 304), applies the members
that are new, and yields every live entity of the mirror. With ``incremental =
false``, another ``url``, or a mirror older than ``full_refresh_days`` (default
30), everything is read again.

Errors. An entry document that cannot be read fails the run (the message names
the page and the line, e.g. an undeclared prefix); a later page that cannot be
read is reported as a failed record naming the page and line, the others are
still read, and the page is asked for again next run. Links are followed over
http(s) only and on private networks only within the source's own origins (see
``catalogue.harvest.http_cache``). Options: ``max_pages`` (default 10000),
``incremental``, ``full_refresh_days``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urldefrag

import pyoxigraph as ox

from catalogue.errors import InputError
from catalogue.harvest.contract import (
    HarvestContext,
    Harvester,
    MappedRecord,
    RecordFailed,
    RecordRef,
    RecordUnchanged,
    SourceUnavailable,
)
from catalogue.harvest.http_cache import LinkRefused
from catalogue.harvest.rdfio import parse_fetched
from catalogue.namespaces import LDES, RDF_TYPE, TREE

AS = "https://www.w3.org/ns/activitystreams#"
ELM_OFFER = "http://data.europa.eu/snb/model/elm/LearningOpportunity"
# Dataset formats first: they keep each member in its own named graph.
LDES_ACCEPT = (
    "application/trig, application/n-quads;q=0.95, text/turtle;q=0.9, application/ld+json;q=0.85, "
    "application/n-triples;q=0.8, application/rdf+xml;q=0.7, */*;q=0.1"
)
DELETE_TYPES = {AS + "Delete", AS + "Remove", AS + "Tombstone", LDES + "DeletedLDPResource"}
MIRROR_VERSION = 1


class LdesHarvester(Harvester):
    kind = "ldes"
    self_contained_records = True  # each record holds its offer with everything the offer links to
    title = "Linked Data Event Streams (LDES/TREE) of ELM offers, e.g. another catalogue's /feed"
    mapping: ClassVar[list[tuple[str, str, str]]] = [
        ("tree:view, tree:relation/tree:node (any relation type)", "pages to read", "followed until none, loops ignored"),
        ("tree:member", "one version of an entity", "named graph of the member, else its outward closure in the page"),
        ("ldes:versionOfPath (e.g. dcterms:isVersionOf)", "the entity (offer) IRI", "the version's statements rewritten onto it"),
        ("ldes:timestampPath (e.g. dcterms:created)", "which version is the latest", "older versions are not offers"),
        ("as:Delete, as:Remove, as:Tombstone, ldes:versionDeletePath/Object", "withdrawal", "the entity's offer is withdrawn"),
        ("other nodes of a member", "kept as published", "IRIs kept; blank nodes skolemised by the catalogue"),
    ]

    def __init__(self, context: HarvestContext) -> None:
        super().__init__(context)
        cache = getattr(context.http, "cache_dir", None)
        self.mirror_path = Path(cache) / "ldes-mirror.json.gz" if cache else None
        self.stream: dict[str, Any] = {}  # the stream's description: paths and delete markers

    # -- gather: read the new pages, apply their members to the mirror, yield every live entity ----------

    def gather(self) -> Iterator[RecordRef]:
        previous = self._load_mirror()
        mirror = previous if self._incremental(previous) else _empty_mirror(self._scope())
        self.stream = dict(mirror.get("stream") or {})
        failures = self._read(mirror)
        mirror["stream"] = self.stream
        self._save_mirror(mirror)
        for location, error in failures:
            yield RecordRef(location, location, error)
        for key in sorted(mirror["entities"]):
            entity = mirror["entities"][key]
            if not entity.get("deleted"):
                yield RecordRef(key, entity.get("page") or key, entity)

    def _scope(self) -> dict:
        return {"urls": list(self.context.source.urls), "version": MIRROR_VERSION}

    def _incremental(self, mirror: dict | None) -> bool:
        if mirror is None or not self.context.option("incremental", True) or mirror.get("scope") != self._scope():
            return False
        full_at = _moment(mirror.get("full_at"))
        refresh = timedelta(days=float(self.context.option("full_refresh_days", 30)))
        return full_at is not None and datetime.now(UTC) - full_at <= refresh

    def _read(self, mirror: dict) -> list[tuple[str, RecordFailed]]:
        """Read the stream from its entry points, skipping immutable pages already read; returns the pages that failed."""
        limit = int(self.context.option("max_pages", 10000))
        pages: dict[str, dict] = mirror["pages"]
        applied = set(mirror["members"])
        queue: list[tuple[str, str | None]] = [(url, None) for url in self.context.source.urls]
        seen: set[str] = set()
        failures: list[tuple[str, RecordFailed]] = []

        def visit(location: str, found_in: str | None) -> _Page | None:
            seen.add(location)
            try:
                document = self._fetch(location, found_in)
            except LinkRefused as refused:
                self.context.refused_link(location, str(refused))
                return None
            except InputError as error:
                if found_in is None:
                    raise SourceUnavailable(f"the event stream cannot be read: {error}", getattr(error, "status", None)) from None
                failures.append((location, RecordFailed("unreadable-page", f"A page of the event stream cannot be read: {error}",
                                                         _position(error), transient=True)))
                return None
            page = _Page(location, document)
            self._describe_stream(page)
            if not self.stream.get("described"):
                # A page that does not say how to read its members: the stream's own document does (TREE: dereference it).
                for collection in page.collections:
                    target = urldefrag(collection.value)[0] if isinstance(collection, ox.NamedNode) else ""
                    if target.startswith(("http://", "https://")) and target not in seen:
                        described = visit(target, location)
                        if described is not None:
                            queue.extend((link, target) for link in described.links() if link not in seen)
            for member in page.members():
                self._apply(mirror, applied, page, member)
            pages[location] = {"immutable": page.immutable(), "links": page.links()}
            return page

        while queue:
            location, found_in = queue.pop(0)
            if location in seen:
                continue
            if len(seen) >= limit:
                self.context.note(location, "paging", "dropped", location, f"more than {limit} pages; raise max_pages to read them")
                break
            known = pages.get(location)
            if known and known.get("immutable") and known.get("links") and found_in is not None:
                seen.add(location)
                queue.extend((link, location) for link in known["links"] if link not in seen)
                continue  # read before and never changes again: no request
            page = visit(location, found_in)
            if page is not None:
                queue.extend((link, location) for link in page.links() if link not in seen)
        if not self.stream.get("described") and not failures:
            self._undescribed_note()
        mirror["members"] = sorted(applied)
        if not failures and mirror.get("full_at") is None:
            mirror["full_at"] = datetime.now(UTC).isoformat()
        return failures

    def _fetch(self, location: str, found_in: str | None):
        fetched = self.context.http.get(location, accept=LDES_ACCEPT, found_in=found_in)
        self.context.fetched.append(fetched)
        return parse_fetched(fetched, location)

    def _describe_stream(self, page: _Page) -> None:
        """Take the stream's paths from any page that declares them (the stream's own document, or each page)."""
        for collection in page.collections:
            found = {
                "timestamp": page.value(collection, LDES + "timestampPath"),
                "version_of": page.value(collection, LDES + "versionOfPath"),
                "delete_path": page.value(collection, LDES + "versionDeletePath"),
                "delete_object": page.value(collection, LDES + "versionDeleteObject"),
            }
            for name, term in found.items():
                if isinstance(term, ox.NamedNode):
                    self.stream[name] = term.value
                    self.stream["described"] = True
                elif term is not None:
                    self.context.note(collection.value if isinstance(collection, ox.NamedNode) else page.location, name, "dropped",
                                      str(term), "only a single property is read as a path (not a SHACL property path)")

    def _undescribed_note(self) -> None:
        self.context.note(self.context.source.urls[0], "ldes:timestampPath", "guessed", "",
                          "the stream declares neither ldes:versionOfPath nor ldes:timestampPath: each member is its own entity, "
                          "the one read last wins")

    def _apply(self, mirror: dict, applied: set[str], page: _Page, member: ox.NamedNode | ox.BlankNode) -> None:
        key = member.value if isinstance(member, ox.NamedNode) else f"{page.location}#_:{member.value}"
        if key in applied:
            return  # a page read again (not immutable): its members are already in the mirror
        statements, meta = page.member_statements(member)
        version_of = self.stream.get("version_of")
        bookkeeping = {version_of, self.stream.get("timestamp")} - {None}
        # In a named graph the member's statements are the offer's own; what the version is (of what, when) is read from
        # the default graph when it says so there, so that an offer's own dcterms:created stays and is not taken for the time.
        apart = meta is not None and any(t.predicate.value in bookkeeping for t in meta)
        if meta is not None and not apart:
            statements = list(dict.fromkeys(statements + meta))
        own = meta if apart else [t for t in statements if t.subject == member]
        entity_term = next((t.object for t in own if version_of and t.predicate.value == version_of), None)
        if entity_term is not None and not isinstance(entity_term, ox.NamedNode):
            self.context.note(key, "ldes:versionOfPath", "dropped", str(entity_term), "a version of something without an IRI is not read")
            return
        if entity_term is None and isinstance(member, ox.BlankNode):
            self.context.note(key, "tree:member", "dropped", key, "a member without an IRI, not a version of anything, cannot be kept")
            return
        entity = entity_term.value if entity_term is not None else member.value
        stamp = self._timestamp(own)
        applied.add(key)
        stored = mirror["entities"].get(entity)
        if stored is not None and _later(stored, stamp):
            return  # an older version read after a newer one
        if stamp and stamp > (mirror.get("last_timestamp") or ""):
            mirror["last_timestamp"] = stamp
        if self._deletes(own):
            mirror["entities"][entity] = {"version": key, "time": stamp, "deleted": True, "page": page.location}
            return
        triples = []
        for t in statements:
            if t.subject == member and ((not apart and t.predicate.value in bookkeeping) or _is_activity_type(t)):
                continue
            triples.append(_rewrite(t, member, entity_term, page.location))
        mirror["entities"][entity] = {"version": key, "time": stamp, "deleted": False, "page": page.location,
                                      "nt": "".join(f"{t} .\n" for t in dict.fromkeys(triples))}

    def _timestamp(self, own: list[ox.Triple]) -> str:
        path = self.stream.get("timestamp")
        if not path:
            return ""
        values = [t.object for t in own if t.predicate.value == path and isinstance(t.object, ox.Literal)]
        moments = [m for m in (_moment(v.value) for v in values) if m is not None]
        return max(moments).isoformat(timespec="microseconds") if moments else ""

    def _deletes(self, own: list[ox.Triple]) -> bool:
        path, obj = self.stream.get("delete_path"), self.stream.get("delete_object")
        for t in own:
            if t.predicate.value == RDF_TYPE and t.object.value in DELETE_TYPES:
                return True
            if path and obj and t.predicate.value == path and isinstance(t.object, ox.NamedNode) and t.object.value == obj:
                return True
        return False

    # -- the mirror ---------------------------------------------------------------------------------

    def _load_mirror(self) -> dict | None:
        if self.mirror_path is None or not self.mirror_path.exists():
            return None
        try:
            mirror = json.loads(gzip.decompress(self.mirror_path.read_bytes()))
        except (OSError, ValueError, EOFError):
            return None  # a damaged mirror costs one full read, nothing else
        if not isinstance(mirror, dict) or not all(isinstance(mirror.get(k), t) for k, t in
                                                     (("entities", dict), ("pages", dict), ("members", list))):
            return None
        return mirror

    def _save_mirror(self, mirror: dict) -> None:
        if self.mirror_path is None:
            return
        partial = self.mirror_path.with_suffix(".tmp")
        partial.write_bytes(gzip.compress(json.dumps(mirror, ensure_ascii=False).encode("utf-8")))
        partial.replace(self.mirror_path)  # atomic: the old mirror or the new, never half of one

    # -- fetch and map --------------------------------------------------------------------------------

    def fetch(self, ref: RecordRef) -> Any:
        if isinstance(ref.payload, RecordFailed):
            raise ref.payload
        return ref.payload

    def map(self, ref: RecordRef, content: dict) -> MappedRecord:
        if self.context.unchanged(ref.key, content["nt"]):
            raise RecordUnchanged(ref.key)  # the entity's latest version is the one last published
        try:
            triples = [q.triple for q in ox.parse(content["nt"].encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
        except (SyntaxError, ValueError) as error:
            raise RecordFailed("unreadable-member", f"{ref.key}: the stored version {content.get('version')} cannot be read: {error}") from None
        offers = [t.subject.value for t in triples
                  if t.predicate.value == RDF_TYPE and t.object.value == ELM_OFFER and isinstance(t.subject, ox.NamedNode)]
        return MappedRecord(ref.key, triples, list(dict.fromkeys(offers)))


class _Page:
    """One parsed page of the stream: its collections, members, links, and each member's statements."""

    def __init__(self, location: str, document) -> None:
        self.location = location
        self.quads: list[ox.Quad] = document.quads
        self.default: dict[Any, list[ox.Triple]] = {}
        self.graphs: dict[Any, list[ox.Triple]] = {}
        for quad in self.quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                self.default.setdefault(quad.subject, []).append(quad.triple)
            else:
                self.graphs.setdefault(quad.graph_name, []).append(quad.triple)
        merged = [q.triple for q in self.quads]
        self.collections = list(dict.fromkeys(
            t.subject for t in merged
            if (t.predicate.value == RDF_TYPE and t.object.value in (LDES + "EventStream", TREE + "Collection"))
            or t.predicate.value in (TREE + "member", TREE + "view", LDES + "timestampPath", LDES + "versionOfPath")
        ))
        self.member_terms = list(dict.fromkeys(t.object for t in merged if t.predicate.value == TREE + "member"
                                               and isinstance(t.object, (ox.NamedNode, ox.BlankNode))))
        self.nodes = {t.subject for t in merged if t.predicate.value == TREE + "relation" or
                      (t.predicate.value == RDF_TYPE and t.object.value == TREE + "Node")}
        self.nodes |= {t.object for t in merged if t.predicate.value in (TREE + "view", TREE + "node")}
        self.relations = {t.object for t in merged if t.predicate.value == TREE + "relation"}
        self._merged = merged

    def value(self, subject, predicate: str):
        return next((t.object for t in self._merged if t.subject == subject and t.predicate.value == predicate), None)

    def members(self) -> list:
        return self.member_terms

    def links(self) -> list[str]:
        """Pages this one leads to: the view of the stream, and the node of every relation, whatever its type."""
        found = [t.object for t in self._merged if t.predicate.value in (TREE + "view", TREE + "node") and isinstance(t.object, ox.NamedNode)]
        links = [urldefrag(term.value)[0] for term in found]
        return [link for link in dict.fromkeys(links) if link != self.location]

    def immutable(self) -> bool:
        return any(t.predicate.value == LDES + "immutable" and isinstance(t.object, ox.Literal) and t.object.value in ("true", "1")
                   and urldefrag(t.subject.value)[0] == self.location for t in self._merged if isinstance(t.subject, ox.NamedNode))

    def member_statements(self, member) -> tuple[list[ox.Triple], list[ox.Triple] | None]:
        """The member's statements and, when they are a named graph, the member's own statements in the default graph.

        The named graph named by the member, else everything the member reaches in the page by following
        properties outward, stopping at other members and the stream's hypermedia."""
        if member in self.graphs:
            return list(self.graphs[member]), list(self.default.get(member, []))
        stop = set(self.member_terms) | set(self.collections) | self.nodes | self.relations
        found: list[ox.Triple] = []
        seen = {member}
        queue = [member]
        while queue:
            node = queue.pop()
            for triple in self.default.get(node, []):
                found.append(triple)
                target = triple.object
                if isinstance(target, (ox.NamedNode, ox.BlankNode)) and target not in seen and target not in stop:
                    seen.add(target)
                    queue.append(target)
        return found, None


def _rewrite(triple: ox.Triple, member, entity: ox.NamedNode | None, page: str) -> ox.Triple:
    """The version's statements onto the entity; blank nodes renamed per page, so two pages' ``_:b0`` stay apart."""

    def term(value):
        if entity is not None and value == member:
            return entity
        if isinstance(value, ox.BlankNode):
            return ox.BlankNode("p" + hashlib.sha256(f"{page} {value.value}".encode()).hexdigest()[:24])
        return value

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))


def _is_activity_type(triple: ox.Triple) -> bool:
    """``rdf:type as:Create`` and the like: what kind of event the version was, not a statement about the entity."""
    return triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode) and (
        triple.object.value.startswith(AS) or triple.object.value in (LDES + "DeletedLDPResource", TREE + "Member"))


def _later(stored: dict, stamp: str) -> bool:
    """Whether the stored version is newer than one made at ``stamp`` (equal times: the one read later wins)."""
    return bool(stored.get("time")) and bool(stamp) and stored["time"] > stamp


def _empty_mirror(scope: dict) -> dict:
    return {"scope": scope, "full_at": None, "last_timestamp": None, "pages": {}, "members": [], "entities": {}, "stream": {}}


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _position(error: Exception) -> str | None:
    line = getattr(error, "line", None)
    return f"line {line}" if line else None

