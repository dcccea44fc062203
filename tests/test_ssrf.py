"""Server-side request forgery: the validation service and the harvester never reach an internal service.

An "internal service" here is a real TCP listener on loopback (IPv4 and IPv6, one port) that counts
every connection it accepts and would answer a secret; each attempt must leave it untouched. Hosts
the tests allow explicitly live on 127.0.0.2 (``validate_allowed_hosts``), so that allowing them does
not allow the internal listener on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from catalogue.config import Config
from catalogue.errors import InputError
from catalogue.harvest.rdfio import parse_rdf

from .apiserver import LiveServer, settings_for
from .conftest import EXAMPLES
from .feedserver import FeedServer
from .listeners import Listener, http_answer, listeners_on_one_port

SECRET = "root:x:0:0:INTERNAL-SECRET-7f3a"
NORRSUNDA = (EXAMPLES / "norrsunda-universitet.ttl").read_text(encoding="utf-8")
RHEINAU = (EXAMPLES / "hochschule-rheinau.ttl").read_text(encoding="utf-8")
HYDRA_NEXT = "http://www.w3.org/ns/hydra/core#next"
TREE_NODE = "https://w3id.org/tree#node"


@pytest.fixture()
def internal() -> Iterator[list[Listener]]:
    """The internal service, on 127.0.0.1 and ::1 with one port."""
    listeners = listeners_on_one_port(("127.0.0.1", "::1"), lambda head: http_answer(SECRET.encode(), "text/turtle"))
    yield listeners
    for listener in listeners:
        listener.close()


def connections(listeners: list[Listener]) -> int:
    return sum(listener.connections for listener in listeners)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("ssrf-service")
    config = Config(base="http://127.0.0.1:8000/", data_dir=data)
    with LiveServer(config, settings_for(config, validate_allowed_hosts=("127.0.0.2",))) as live:
        yield live


def check_url(service: LiveServer, url: str) -> requests.Response:
    return requests.post(f"{service.url}/api/validate", json={"url": url}, timeout=60)


def first_message(response: requests.Response) -> str:
    return response.json()["errors"][0]["message"]


# -- the validation service -------------------------------------------------------------------------------


BYPASSES = {
    "backslash-at": "http://127.0.0.1:{port}\\@8.8.8.8/x.ttl",
    "userinfo": "http://8.8.8.8@127.0.0.1:{port}/x.ttl",
    "userinfo-twice": "http://8.8.8.8:80@8.8.4.4@127.0.0.1:{port}/x.ttl",
    "fragment-at": "http://127.0.0.1:{port}#@8.8.8.8/x.ttl",
    "decimal": "http://2130706433:{port}/x.ttl",
    "hex-short": "http://0x7f.1:{port}/x.ttl",
    "octal": "http://017700000001:{port}/x.ttl",
    "short-form": "http://127.1:{port}/x.ttl",
    "ipv6-loopback": "http://[::1]:{port}/x.ttl",
    "ipv4-mapped": "http://[::ffff:127.0.0.1]:{port}/x.ttl",
    "unspecified": "http://0.0.0.0:{port}/x.ttl",
    "localhost": "http://localhost:{port}/x.ttl",
    "upper-case": "HTTP://LOCALHOST:{port}/x.ttl",
}


@pytest.mark.parametrize("template", list(BYPASSES.values()), ids=list(BYPASSES))
def test_no_bypass_reaches_the_internal_service(service, internal, template):
    response = check_url(service, template.format(port=internal[0].port))
    assert response.status_code == 400
    assert "private or local network" in first_message(response) or "backslash" in first_message(response)
    assert connections(internal) == 0
    assert "INTERNAL-SECRET" not in response.text


def test_a_redirect_from_an_allowed_host_to_the_internal_service_is_refused(service, internal):
    target = f"http://127.0.0.1:{internal[0].port}/secret.ttl"
    with Listener("127.0.0.2", 0, lambda head: http_answer(b"", "text/plain", "302 Found", {"Location": target})) as redirector:
        response = check_url(service, f"http://127.0.0.2:{redirector.port}/offers.ttl")
    assert response.status_code == 400
    message = first_message(response)
    assert f"redirected to {target}" in message and "private or local network" in message
    assert redirector.connections == 1 and connections(internal) == 0


def test_an_allowed_host_is_still_checked(service):
    """validate_allowed_hosts keeps working: the tests' own allowed server answers with offers."""
    with Listener("127.0.0.2", 0, lambda head: http_answer(NORRSUNDA.encode(), "text/turtle")) as server:
        response = check_url(service, f"http://127.0.0.2:{server.port}/offers.ttl")
    assert response.status_code == 200, response.text
    assert len(response.json()["offers"]) == 7


def test_dns_rebinding_connects_to_the_address_that_was_checked(service, monkeypatch):
    """A name that resolves to an allowed address when checked and to the internal one afterwards.

    The only place a test replaces a system call: nothing else can make one name change its address
    between two lookups on a machine without its own name server."""
    allowed, internal = listeners_on_one_port(("127.0.0.2", "127.0.0.1"), lambda head: http_answer(NORRSUNDA.encode(), "text/turtle"))
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            lookups.append(host)
            address = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        response = check_url(service, f"http://rebind.test:{allowed.port}/offers.ttl")
    finally:
        allowed.close()
        internal.close()
    assert response.status_code == 200, response.text
    assert allowed.connections == 1 and internal.connections == 0
    assert b"Host: rebind.test:" in allowed.requests[0]  # the name, not the pinned address, is what the server sees
    assert lookups == ["rebind.test"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>" + "harmless " * 20 + "TAIL-OF-THE-BODY</rdf:RDF>", "application/rdf+xml"),
        ("@prefix ex: <https://x.example/> .\nex:a ex:b " + "x" * 150 + " TAIL-OF-THE-BODY .\n", "text/turtle"),
    ],
    ids=["rdf-xml-text-event", "turtle-long-line"],
)
def test_an_allowed_document_that_cannot_be_read_is_quoted_only_briefly(service, body, content_type):
    with Listener("127.0.0.2", 0, lambda head: http_answer(body.encode(), content_type)) as server:
        response = check_url(service, f"http://127.0.0.2:{server.port}/offers")
    assert response.status_code == 400
    message = first_message(response)
    assert "TAIL-OF-THE-BODY" not in message and "harmless " * 12 not in message
    assert "not valid" in message


def test_parser_messages_escape_what_they_quote():
    hostile = b"@prefix ex: <https://x.example/> .\nex:a ex:b \x1b[2J\xe2\x80\xae\"x\" .\n"
    with pytest.raises(InputError) as raised:
        parse_rdf(hostile, "https://provider.example/offers.ttl", content_type="text/turtle")
    message = str(raised.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert "\\x1b" in message and "line 2" in message


# -- the harvester ---------------------------------------------------------------------------------------------


def linked(document: str, subject: str, links: dict[str, list[str]]) -> str:
    """``document`` with statements linking ``subject`` to further documents."""
    extra = "".join(f"<{subject}> <{predicate}> <{target}> .\n" for predicate, targets in links.items() for target in targets)
    return document + "\n" + extra


def write_config(workdir, url: str, **options) -> None:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in options.items())
    (workdir / "catalogue.toml").write_text(
        f'[catalogue]\nbase = "http://127.0.0.1:8000/"\n[validation]\nworkers = 1\n'
        f'[[sources]]\nid = "paged"\nname = "Paged"\nharvester = "rdf"\nurl = "{url}"\nretries = 0\n{extra}',
        encoding="utf-8",
    )


def offer_count(cli) -> int:
    stats = json.loads(cli("stats", "--format", "json").output)
    return stats["sources"]["paged"]["offers"]


def test_links_in_a_feed_to_internal_addresses_and_files_are_not_followed(internal, workdir, cli):
    with FeedServer() as feed:
        first, second = feed.url("/feed.ttl"), feed.url("/page2.ttl")
        internal_link = f"http://127.0.0.1:{internal[0].port}/admin.ttl"
        feed.add("/feed.ttl", linked(NORRSUNDA, first, {HYDRA_NEXT: [second], TREE_NODE: [internal_link, "file:///etc/passwd"]}))
        feed.add("/page2.ttl", linked(RHEINAU, second, {HYDRA_NEXT: [feed.url("/moved.ttl")]}))
        feed.fault("/moved.ttl", "redirect", status=302, target=f"http://[::1]:{internal[0].port}/moved.ttl")
        write_config(workdir, first)
        result = cli("harvest")
        report = cli("report", "paged", "--format", "json")
        text_report = cli("report", "paged")
        assert offer_count(cli) == 12, result.output
    assert connections(internal) == 0
    errors = {e["record"]: e for e in run_errors(workdir, "paged")}
    assert errors[internal_link]["code"] == "link-refused"
    assert first in errors[internal_link]["message"] and "private or local network" in errors[internal_link]["message"]
    assert errors["file:///etc/passwd"]["code"] == "link-refused"
    assert "never read as local files" in errors["file:///etc/passwd"]["message"]
    moved = errors[feed.url("/moved.ttl")]
    assert second in moved["message"] and "redirected to" in moved["message"]
    assert text_report.output.count("gather/link-refused") == 3
    assert sorted(e["record"] for e in json.loads(report.output)["errors"]) == sorted(errors)
    for output in (report.output, text_report.output):
        assert "INTERNAL-SECRET" not in output and "root:x:0:0" not in output


def run_errors(workdir, source: str) -> list[dict]:
    from catalogue.harvest.state import HarvestState

    state = HarvestState(workdir / "data" / "state.sqlite")
    try:
        return state.run_errors(state.last_run(source).id)
    finally:
        state.close()


def test_same_origin_pages_on_a_private_host_are_followed(workdir, cli):
    """An intranet feed keeps working: pages on the configured origin are read although it is loopback."""
    with FeedServer() as feed:
        first, second = feed.url("/feed.ttl"), feed.url("/page2.ttl")
        feed.add("/feed.ttl", linked(NORRSUNDA, first, {HYDRA_NEXT: [second]}))
        feed.add("/page2.ttl", RHEINAU)
        write_config(workdir, first)
        result = cli("harvest")
        assert result.exit_code == 0, result.output
        assert offer_count(cli) == 12
        assert feed.hits("/page2.ttl") == 1


def test_trusted_hosts_let_a_feed_link_to_another_private_host(workdir, cli):
    with Listener("127.0.0.2", 0, lambda head: http_answer(RHEINAU.encode(), "text/turtle")) as other:
        with FeedServer() as feed:
            first = feed.url("/feed.ttl")
            feed.add("/feed.ttl", linked(NORRSUNDA, first, {HYDRA_NEXT: [f"http://127.0.0.2:{other.port}/page2.ttl"]}))
            write_config(workdir, first, trusted_hosts=["127.0.0.2"])
            result = cli("harvest")
            assert result.exit_code == 0, result.output
            assert offer_count(cli) == 12 and other.connections == 1


def test_a_sitemap_does_not_lead_the_harvester_to_internal_pages(internal, tmp_path, validator):
    from .test_harvester_schemaorg import Catalogue, course, jsonld_page, sitemap

    catalogue = Catalogue(tmp_path, validator)
    inside = f"http://127.0.0.1:{internal[0].port}/kurser/intern.html"
    with FeedServer() as site:
        site.add("/kurser/a.html", jsonld_page(course("A1", "Kurs A")), "text/html")
        site.add("/pages.xml", sitemap([site.url("/kurser/a.html"), inside]), "application/xml")
        index = f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{site.url("/pages.xml")}</loc></sitemap><sitemap><loc>http://[::1]:{internal[0].port}/more.xml</loc></sitemap></sitemapindex>'
        site.add("/sitemap.xml", index, "application/xml")
        outcome = catalogue.harvest(site.url("/sitemap.xml"))
    assert connections(internal) == 0
    assert len(catalogue.offers()) == 1
    refused = {e.record: e for e in outcome.errors if e.code == "link-refused"}
    assert set(refused) == {inside, f"http://[::1]:{internal[0].port}/more.xml"}
    assert site.url("/pages.xml") in refused[inside].message and site.url("/sitemap.xml") in refused[f"http://[::1]:{internal[0].port}/more.xml"].message


def test_a_pinned_https_connection_still_checks_the_certificate_against_the_host_name(tmp_path):
    """The socket goes to the checked address; SNI, the certificate check and the Host header keep the name.

    The certificate names only DNS:localhost (no IP address), so it verifies only if the name is used."""
    import http.server
    import ssl
    import subprocess

    from catalogue.errors import FetchError
    from catalogue.harvest.fetch import FetchLimits, fetch
    from catalogue.harvest.netguard import NetworkPolicy, guarded_session

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    hosts: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hosts.append(self.headers["Host"])
            body = NORRSUNDA.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        session = guarded_session(NetworkPolicy(["localhost"]))
        session.verify = str(cert)
        fetched = fetch(f"https://localhost:{port}/offers.ttl", session=session, limits=FetchLimits(retries=0))
        assert fetched.content == NORRSUNDA.encode() and hosts == [f"localhost:{port}"]
        by_address = guarded_session(NetworkPolicy(["127.0.0.1"]))
        by_address.verify = str(cert)  # a trusted certificate, but not for the address 127.0.0.1
        with pytest.raises(FetchError, match="certificate is not valid for this host name"):
            fetch(f"https://127.0.0.1:{port}/offers.ttl", session=by_address, limits=FetchLimits(retries=0))
        session.verify = True  # the system's authorities do not know this certificate: refused, not ignored
        with pytest.raises(FetchError, match="certificate is not valid for this host name or not signed by a known authority"):
            fetch(f"https://localhost:{port}/offers.ttl", session=session, limits=FetchLimits(retries=0))
    finally:
        server.shutdown()
        server.server_close()
