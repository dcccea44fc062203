"""HTTP content negotiation: pick the best media type a client accepts (RFC 9110, section 12.5.1)."""

from __future__ import annotations


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """(media range, q, specificity) in the client's order of preference."""
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    ranges = []
    for position, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(param[2:])))
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, specificity, position))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return [(m, q, s) for m, q, s, _ in ranges]


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """The offered media type (offered in server preference order) the client accepts best, or None."""
    best: tuple[float, int, int] | None = None
    choice = None
    accepted = parse_accept(header)
    for index, media in enumerate(offered):
        quality = _quality(media, accepted)
        if quality is None or quality[0] <= 0:
            continue
        key = (quality[0], quality[1], -index)
        if best is None or key > best:
            best, choice = key, media
    return choice


def _quality(media: str, accepted: list[tuple[str, float, int]]) -> tuple[float, int] | None:
    """The q of the most specific range matching ``media``, and that specificity."""
    kind = media.split("/")[0]
    found = None
    for pattern, q, specificity in accepted:
        if pattern == media or pattern == "*/*" or pattern == f"{kind}/*":
            if found is None or specificity > found[1]:
                found = (q, specificity)
    return found


def prefers_html(header: str | None) -> bool:
    """A browser: text/html explicitly accepted at least as much as any RDF or SPARQL type."""
    accepted = parse_accept(header)
    html = max((q for m, q, _ in accepted if m in ("text/html", "application/xhtml+xml")), default=0.0)
    return html > 0 and html >= max((q for m, q, s in accepted if s == 2 and m not in ("text/html", "application/xhtml+xml")), default=0.0)
