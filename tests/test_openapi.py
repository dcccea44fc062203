"""The OpenAPI description is accurate: schemathesis generates requests from it and checks every answer.

Against a real server on 127.0.0.1 serving every bundled source. Each operation gets property-based
requests (valid and invalid by the description); every answer must be documented (status code,
content type, headers, JSON schema), and no request may cause a server error.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from catalogue.config import Config
from catalogue.server.app import ServerSettings, create_app

from .apiserver import LiveServer, settings_for


@pytest.fixture(scope="module")
def live(bundled_site):
    server_settings = settings_for(bundled_site.config, query_timeout=4.0, workers=2, max_queries_per_client=4, queue_wait=5.0)
    with LiveServer(bundled_site.config, server_settings) as server:
        yield server


def _description() -> dict:
    """The OpenAPI description the server publishes (it depends on no configuration but the title)."""
    return create_app(Config(), ServerSettings()).openapi()


schema = schemathesis.openapi.from_dict(_description())


@schemathesis.serializer("application/n-triples", "application/n-quads", "application/trig")
def _rdf_text(ctx, value) -> bytes:
    """RDF in a line-based or Turtle-like syntax: whatever text was generated, in UTF-8 (the server must say why it is not RDF)."""
    return str(value).encode("utf-8")


@schemathesis.serializer("application/sparql-query")
def _sparql_query(ctx, value) -> bytes:
    """A query sent as the body itself (SPARQL Protocol, 2.1.3): the text in UTF-8."""
    return str(value).encode("utf-8")


def test_the_description_names_every_public_route(live):
    served = requests.get(f"{live.url}/openapi.json", timeout=10).json()
    assert served["paths"] == _description()["paths"]
    paths = served["paths"]
    for path in ("/sparql", "/api/offers", "/api/validate", "/data/offer.{extension}", "/feed", "/feed/page/{number}",
                 "/.well-known/void", "/catalogue", "/dumps/{name}", "/health", "/metrics"):
        assert path in paths, path
    sparql = paths["/sparql"]
    assert {"get", "post"} <= set(sparql)
    assert {"application/x-www-form-urlencoded", "application/sparql-query"} <= set(sparql["post"]["requestBody"]["content"])
    assert "application/json" not in paths["/feed"]["get"]["responses"]["200"]["content"]
    assert "requestBody" in paths["/api/validate"]["post"]
    assert {"400", "403", "503"} <= set(sparql["get"]["responses"])


# A query that is a valid string is not yet valid SPARQL, nor a string in a text/turtle body valid Turtle: JSON Schema
# cannot say what a grammar does, so for /sparql and /api/validate a 400 to a schema-valid request is right (and
# documented), not a rejected positive case.
# Likewise a place's name in /api/offers?near= is a string the schema accepts, but only the gazetteer knows the place.
GRAMMAR_BEYOND_SCHEMA = {"/sparql", "/api/validate", "/api/offers"}
# The reverse holds for RDF bodies: what the schema calls a wrong type can still be a document. "{}" sent as
# TriG is an empty default graph, and an unknown content_type in the form falls back to reading the text, as a
# provider pasting Turtle expects. So /api/validate is not required to refuse schema-invalid bodies.
LENIENT_READERS = {"/api/validate"}


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_as_described(case, live):
    excluded = [positive_data_acceptance] if case.operation.path in GRAMMAR_BEYOND_SCHEMA else []
    excluded += [negative_data_rejection] if case.operation.path in LENIENT_READERS else []
    case.call_and_validate(base_url=live.url, timeout=30, excluded_checks=excluded)
