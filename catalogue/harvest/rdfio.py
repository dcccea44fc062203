"""Reading RDF documents as providers publish them.

The format comes from the HTTP content type, else the file extension, else a
look at the first bytes. The character encoding comes from a byte-order mark,
the HTTP charset, or the XML declaration, in that order; text that does not
decode in the encoding it declares is an error that names the place, never a
silent guess. Parsing is pyoxigraph's (fast, and it keeps literals exactly as
written).

Data in the ELM 3.3 namespace (``…/snb/model/ontology/``) is read as ELM 3.2
(``…/snb/model/elm/``), which the catalogue's shapes and vocabulary use; the
document records a note saying so.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pyoxigraph as ox

from catalogue.errors import InputError
from catalogue.namespaces import ELM, ELM_33
from catalogue.rdf_document import ELM33_NOTE, RdfDocument

from .fetch import Fetched, FetchLimits, fetch, is_url, read_local
from .stored_document import StoredDocument

FORMATS_BY_EXTENSION = {
    "ttl": ox.RdfFormat.TURTLE,
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
    "n3": ox.RdfFormat.N3,
}
# Media types servers send for RDF; text/plain and application/octet-stream say nothing.
GENERIC_MEDIA_TYPES = {"text/plain", "application/octet-stream", "binary/octet-stream", "text/html", "application/xml", "text/xml"}
RDF_ACCEPT = (
    "text/turtle, application/ld+json;q=0.95, application/n-triples;q=0.9, application/n-quads;q=0.9, "
    "application/trig;q=0.9, application/rdf+xml;q=0.8, */*;q=0.1"
)
XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"'][^>]*\?>")




def read_rdf(
    location: str,
    *,
    format: ox.RdfFormat | None = None,
    limits: FetchLimits = FetchLimits(),
    guard=None,
) -> RdfDocument:
    """Read and parse a local file or an http(s) URL."""
    fetched = fetch(location, accept=RDF_ACCEPT, limits=limits, guard=guard) if is_url(location) else read_local(location, limits)
    return parse_fetched(fetched, location, format=format)


def parse_fetched(fetched: Fetched, location: str, format: ox.RdfFormat | None = None) -> RdfDocument:
    """Parse what was fetched from ``location``, as served: its media type and charset, relative IRIs against
    the address it finally came from (a local file has no base)."""
    document = parse_rdf(
        fetched.content,
        location,
        format=format,
        content_type=fetched.content_type,
        charset=fetched.charset,
        base_iri=fetched.url if is_url(location) else None,
    )
    document.fetched = fetched
    return document


def store_fetched(fetched: Fetched, location: str, scratch: Path | None, name: str) -> StoredDocument:
    """What was fetched from ``location``, loaded into a temporary store on disk (``stored_document``) rather than
    parsed into terms; the same errors as ``parse_fetched``. Only for formats of triples (``can_store``)."""
    rdf_format, text = _prepared(fetched.content, location, None, fetched.content_type, fetched.charset)
    with _parser_errors(location, rdf_format, text):
        return StoredDocument.load(text, location, rdf_format, scratch, name, base_iri=fetched.url if is_url(location) else None)


def can_store(fetched: Fetched, location: str) -> bool:
    """Whether the document is in a format of triples, which ``store_fetched`` can load (named graphs are merged in memory)."""
    try:
        return not guess_format(location, fetched.content_type, fetched.content).supports_datasets
    except InputError:
        return False


def parse_rdf(
    content: bytes,
    source: str,
    *,
    format: ox.RdfFormat | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    base_iri: str | None = None,
) -> RdfDocument:
    rdf_format, text = _prepared(content, source, format, content_type, charset)
    with _parser_errors(source, rdf_format, text):
        quads = list(ox.parse(text, format=rdf_format, base_iri=base_iri))
    notes: list[str] = []
    if any(_uses_elm33(q) for q in quads[:5000]):
        quads = [_elm33_to_elm(q) for q in quads]
        notes.append(ELM33_NOTE)
    return RdfDocument(source, rdf_format, quads, notes, content)


def _prepared(content: bytes, source: str, rdf_format: ox.RdfFormat | None, content_type: str | None,
              charset: str | None) -> tuple[ox.RdfFormat, bytes]:
    """The document's format and its text as the parsers read it (UTF-8), after the checks every reading makes."""
    if not content.strip():
        raise InputError("the document is empty.", source)
    rdf_format = rdf_format or guess_format(source, content_type, content)
    text = to_utf8(content, source, charset, rdf_format)
    if rdf_format == ox.RdfFormat.RDF_XML:
        check_xml_entities(text, source, content)
    return rdf_format, text


@contextmanager
def _parser_errors(source: str, rdf_format: ox.RdfFormat, text: bytes) -> Iterator[None]:
    """The parser's errors (in memory or the bulk loader's) as errors naming the source and the place."""
    try:
        yield
    except SyntaxError as error:
        raise _syntax_error(error, source, rdf_format, text) from None
    except MemoryError as error:
        # pyoxigraph's own buffer limit (a line or literal over 16 MB), or the process's memory bound.
        raise InputError(
            f"the {rdf_format.name} cannot be read within the memory the catalogue allows ({_parser_message(error)}); "
            "a single line, literal or value is probably far too long.",
            source,
        ) from None
    except (ValueError, OSError) as error:
        raise InputError(f"the {rdf_format.name} cannot be parsed: {_parser_message(error)}", source) from None


def guess_format(source: str, content_type: str | None, content: bytes) -> ox.RdfFormat:
    if content_type and content_type not in GENERIC_MEDIA_TYPES:
        try:
            named = ox.RdfFormat.from_media_type(content_type)  # None for a type it does not know
        except ValueError:
            named = None
        if named is not None:
            return named
    path = urlsplit(source).path if is_url(source) else source
    suffixes = [s.lstrip(".").lower() for s in PurePosixPath(path.replace("\\", "/")).suffixes]
    for suffix in reversed(suffixes):
        if suffix in FORMATS_BY_EXTENSION:
            return FORMATS_BY_EXTENSION[suffix]
    sniffed = sniff_format(content)
    if sniffed is not None:
        return sniffed
    hint = f" (the server said {content_type})" if content_type else ""
    raise InputError(
        f"cannot tell which RDF format this is{hint}. Use a known file extension "
        "(.ttl, .jsonld, .rdf, .nt, .nq, .trig) or serve it with an RDF media type.",
        source,
    )


def sniff_format(content: bytes) -> ox.RdfFormat | None:
    head = content[:4096].lstrip(codecs.BOM_UTF8).lstrip()
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<RDF")) or b"<rdf:RDF" in head[:1024]:
        return ox.RdfFormat.RDF_XML
    if head.startswith((b"{", b"[")):
        return ox.RdfFormat.JSON_LD
    if re.match(rb"^(@prefix|@base|PREFIX|BASE|#)", head, re.IGNORECASE) or re.match(rb"^<[^>\s]*>\s+(a|<)", head):
        return ox.RdfFormat.TURTLE
    return None


def to_utf8(content: bytes, source: str, charset: str | None, rdf_format: ox.RdfFormat) -> bytes:
    """Decode with the declared encoding and return UTF-8, or raise naming the place that fails."""
    encoding, declared_by = _declared_encoding(content, charset, rdf_format)
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"{declared_by} declares the unknown character encoding {encoding!r}.", source) from None
    if codec.name == "utf-8" and not content.startswith(codecs.BOM_UTF8) and _valid_utf8(content):
        return content  # already what the parsers read: no copy (a national export is hundreds of megabytes)
    try:
        text = content.decode(codec.name)
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
        bad = content[error.start:error.start + 4].hex(" ")
        raise InputError(
            f"the text is not valid {codec.name.upper()} as {declared_by} says (bytes {bad}). "
            "Save the file as UTF-8 or declare the encoding it really uses.",
            source,
            line,
            column,
        ) from None
    text = text.lstrip("\ufeff")
    if rdf_format == ox.RdfFormat.RDF_XML:
        # The text is UTF-8 now, so its declaration must say so: pyoxigraph's RDF/XML parser reads
        # UTF-8 only, and other XML parsers would decode the bytes as the old declaration says.
        text = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[A-Za-z0-9._-]+([\"'])", r"\1UTF-8\2", text)
    return text.encode("utf-8")


def _valid_utf8(content: bytes, slice_bytes: int = 1 << 24) -> bool:
    """Whether ``content`` is valid UTF-8, decoded a slice at a time so that no copy of the whole is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), slice_bytes):
            decoder.decode(view[start:start + slice_bytes])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False  # decoded whole by the caller, to name the place
    return True


ENTITY_DECLARATION = b"<!ENTITY"
# The same declaration in the wide encodings an XML parser may detect on its own (no byte-order mark needed).
_WIDE_DECLARATIONS = tuple("<!ENTITY".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
_ENTITY_NAME = re.compile(rb"<!ENTITY\s+(?:%\s*)?([^\s\"'>]{1,200})")


def declares_xml_entities(data: bytes) -> bool:
    """Whether ``data`` holds an entity declaration in any position, in an ASCII-based encoding or UTF-16/32."""
    return ENTITY_DECLARATION in data or any(marker in data for marker in _WIDE_DECLARATIONS)


def check_xml_entities(text: bytes, source: str, raw: bytes | None = None) -> None:
    """Refuse any XML document that declares entities, before a parser sees it.

    pyoxigraph's RDF/XML parser expands internal entities without limit (a
    "billion laughs" document of 1 KB grows to gigabytes and aborts the
    process), and no real ELM, LOQ, XCRI-CAP or sitemap document needs an
    entity, so none is read: the whole decoded ``text`` is scanned (any name,
    any position), and the undecoded ``raw`` bytes too, for UTF-16 and UTF-32
    input a parser could decode by itself.
    """
    at = text.find(ENTITY_DECLARATION)
    if at < 0 and not declares_xml_entities(text) and not (raw is not None and declares_xml_entities(raw)):
        return
    line = text.count(b"\n", 0, at) + 1 if at >= 0 else None
    match = _ENTITY_NAME.match(text, at) if at >= 0 else None
    named = f"the entity {escaped(match.group(1).decode('utf-8', 'replace'), 40)}: " if match else ""
    raise InputError(
        f"the document declares a DTD with XML entities ({named}<!ENTITY …>), which the catalogue does not read: write the values "
        "into the document and remove the entity declarations from its DOCTYPE. Entities are refused because they can "
        "expand without limit (a 'billion laughs' attack) or read external files and addresses.",
        source,
        line,
    )


def escaped(text: str, limit: int = 120) -> str:
    """``text`` quoted, cut to ``limit`` characters, with anything unprintable written as an escape.

    The one way a message may show text taken from a fetched document: short, and unable to
    smuggle line breaks, terminal control sequences or direction overrides into a report.
    """
    cut = text[:limit]
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut)
    return "'" + shown.replace("'", "\\'") + ("…" if len(text) > limit else "") + "'"


def _declared_encoding(content: bytes, charset: str | None, rdf_format: ox.RdfFormat) -> tuple[str, str]:
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return name, "its byte-order mark"
    if charset:
        return charset, "the server's Content-Type header"
    if rdf_format == ox.RdfFormat.RDF_XML:
        match = XML_DECLARATION.match(content.lstrip())
        if match:
            return match.group(1).decode("ascii"), "its XML declaration"
        return "utf-8", "an XML document without an encoding declaration, which is UTF-8,"
    return "utf-8", f"{rdf_format.name}, which is always UTF-8,"


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"", re.DOTALL)


def _parser_message(error: BaseException) -> str:
    """A parser's message, whose quotes of the document are cut short and escaped (they are fetched text)."""
    message = str(error.args[0]) if error.args else str(error)
    message = _QUOTED.sub(lambda m: escaped(m.group(0)[1:-1], 30), message)
    return "".join(ch if ch.isprintable() else " " for ch in message)[:300]


def _syntax_error(error: SyntaxError, source: str, rdf_format: ox.RdfFormat, text: bytes) -> InputError:
    message = _parser_message(error)
    message = re.sub(r"^Parser error (between|at) line \d+ (between )?columns? \d+( and (line \d+ column )?\d+)?: ", "", message)
    if "LoadDocumentCallback" in message or "remote context" in message:
        message = (
            "the JSON-LD refers to a remote @context, which the catalogue does not fetch. "
            "Put the context in the document itself (an @context object)"
        )
    line = getattr(error, "lineno", None)
    column = getattr(error, "offset", None)
    excerpt = ""
    if line:
        lines = text.split(b"\n")
        if 0 < line <= len(lines):
            excerpt = lines[line - 1].decode("utf-8", "replace").strip()
    # The excerpt and the parser's quotes together show at most 120 characters of the document.
    detail = f" Near: {escaped(excerpt, 80)}" if excerpt else ""
    return InputError(f"this is not valid {rdf_format.name}: {message}.{detail}", source, line, column)


def _uses_elm33(quad: ox.Quad) -> bool:
    return any(isinstance(t, ox.NamedNode) and t.value.startswith(ELM_33) for t in (quad.predicate, quad.object))


def _elm33_term(term):
    if isinstance(term, ox.NamedNode) and term.value.startswith(ELM_33):
        return ox.NamedNode(ELM + term.value[len(ELM_33):])
    return term


def _elm33_to_elm(quad: ox.Quad) -> ox.Quad:
    return ox.Quad(_elm33_term(quad.subject), _elm33_term(quad.predicate), _elm33_term(quad.object), quad.graph_name)
