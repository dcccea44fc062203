"""A real HTTP server on 127.0.0.1 for harvester tests: serves feeds and misbehaves on request.

    with FeedServer() as server:
        server.add("/offers.ttl", body, "text/turtle")          # with ETag / Last-Modified, answers 304
        server.fault("/down.ttl", "status", status=500)
        url = server.url("/offers.ttl")

Faults: ``status`` (any status code), ``delay`` (answers after ``seconds``), ``hang`` (accepts, never answers),
``slow`` (drips the body a few bytes a second), ``truncate`` (announces more
bytes than it sends, then closes), ``redirect-loop``, ``redirect`` (to
``target``), ``huge`` (a body of ``size`` bytes, streamed), ``flaky`` (fails
``times`` times with 503, then serves normally). ``server.requests`` lists
(method, path, headers) of every request received.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/plain"
    fault: str | None = None
    options: dict = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server: http.server.ThreadingHTTPServer | None = None
        self._stop = threading.Event()

    # -- set-up -----------------------------------------------------------------

    def add(self, path: str, body: bytes | str, content_type: str = "text/turtle", charset: str | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        header = content_type + (f"; charset={charset}" if charset else "")
        self.routes[path] = Route(
            data, header, etag='"' + hashlib.sha256(data).hexdigest()[:16] + '"', last_modified=formatdate(usegmt=True)
        )
        return self.url(path)

    def fault(self, path: str, kind: str, **options) -> str:
        self.routes[path] = Route(fault=kind, options=options, content_type=options.get("content_type", "text/turtle"), body=options.get("body", b""))
        return self.url(path)

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p.split("?")[0] == path)

    # -- running ------------------------------------------------------------------

    def __enter__(self) -> FeedServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(("GET", self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0]) or server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain")
                    return
                if route.fault:
                    getattr(self, "_" + route.fault.replace("-", "_"))(route)
                    return
                self._serve(route)

            def _serve(self, route: Route) -> None:
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, route.body, route.content_type, {"ETag": route.etag, "Last-Modified": route.last_modified})

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    if value:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _status(self, route: Route) -> None:
                self._send(route.options.get("status", 500), route.body or b"error", "text/plain")

            def _delay(self, route: Route) -> None:
                if not server._stop.wait(route.options.get("seconds", 1.0)):
                    self._send(200, route.body, route.content_type)

            def _hang(self, route: Route) -> None:
                server._stop.wait(route.options.get("seconds", 30))

            def _slow(self, route: Route) -> None:
                body = route.body or b"x" * 1000
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(0, len(body), 5):
                    if server._stop.wait(route.options.get("interval", 1.0)):
                        return
                    try:
                        self.wfile.write(body[i:i + 5])
                        self.wfile.flush()
                    except OSError:
                        return

            def _truncate(self, route: Route) -> None:
                body = route.body
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body) * 2 + 100))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def _redirect_loop(self, route: Route) -> None:
                self.send_response(302)
                self.send_header("Location", self.path.split("?")[0] + f"?hop={time.monotonic_ns()}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _redirect(self, route: Route) -> None:
                self.send_response(route.options.get("status", 301))
                self.send_header("Location", route.options["target"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _huge(self, route: Route) -> None:
                size = route.options.get("size", 50 * 1024 * 1024)
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                if route.options.get("announce", True):
                    self.send_header("Content-Length", str(size))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"# " + b"x" * 65533 + b"\n"
                sent = 0
                try:
                    while sent < size:
                        piece = chunk[: min(len(chunk), size - sent)]
                        if route.options.get("announce", True):
                            self.wfile.write(piece)
                        else:
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                        sent += len(piece)
                    if not route.options.get("announce", True):
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    return

            def _flaky(self, route: Route) -> None:
                remaining = route.options.get("times", 1)
                if remaining > 0:
                    route.options["times"] = remaining - 1
                    self._send(503, b"try again", "text/plain", {"Retry-After": "0"})
                else:
                    self._send(200, route.body, route.content_type)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
