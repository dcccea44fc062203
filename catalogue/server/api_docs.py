"""What the OpenAPI description says a route answers: its media types and its errors, written once.

FastAPI documents every route as JSON unless told otherwise; most of this API answers RDF, HTML or
plain text, so each route names its answers with these helpers (and ``tests/test_openapi.py`` checks
the running server against the description with schemathesis).
"""

from __future__ import annotations

RDF_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples", "application/n-quads", "application/trig")
TEXT = {"text/plain": {"schema": {"type": "string"}}}


def content(*media_types: str) -> dict:
    return {media: {"schema": {"type": "string"}} for media in media_types}


def answers(description: str, media_types: tuple[str, ...], errors: dict[int, str] | None = None, other: dict | None = None) -> dict:
    """``responses=`` for a route: 200 with ``media_types``, each error status with a plain-text message, and ``other`` as given."""
    responses: dict = {200: {"description": description, "content": content(*media_types)}}
    for status, why in (errors or {}).items():
        responses[status] = {"description": why, "content": TEXT}
    responses.update(other or {})
    return responses


NOT_MODIFIED = {304: {"description": "Not modified since the ETag in If-None-Match"}}
NOT_ACCEPTABLE = {406: "None of the accepted media types is available"}
