"""Every request, before any route sees it: an id, a size limit counted as the body arrives, and a log line.

``Content-Length`` alone cannot bound a body: a chunked request has none. The
body is counted as it arrives and reading stops at the limit with 413, whether
the route reads it whole, as a form or as a stream; nothing past the limit is
buffered. A pure ASGI middleware (not ``BaseHTTPMiddleware``), so the body
reaches routes unbuffered.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger("catalogue.server")

Scope = dict[str, Any]


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than this endpoint's limit of {limit} bytes.")
        self.limit = limit


class RequestGuard:
    """``limit_for(path)`` gives the largest body a path accepts; ``counters`` has requests and errors counted."""

    def __init__(self, app, limit_for: Callable[[str], int], counters: Any):
        self.app = app
        self.limit_for = limit_for
        self.counters = counters

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        self.counters.requests += 1
        limit = self.limit_for(scope["path"])
        status = {"code": 0}

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                raise BodyTooLarge(limit)
            await self.app(scope, _counting(receive, limit), send_with_id)
        except BaseException as error:  # noqa: BLE001 - only a body over the limit is answered here
            too_large = _body_too_large(error)
            if too_large is None:
                raise
            if status["code"]:
                return  # the answer had started; the connection ends with it
            await _plain(send_with_id, 413, str(too_large))
        finally:
            if status["code"] >= 500:
                self.counters.errors += 1
            log.info("%s %s %s %d %.1fms", request_id, scope.get("method"), scope["path"], status["code"],
                     (time.perf_counter() - started) * 1000)


def _counting(receive, limit: int):
    received = 0

    async def counted() -> dict:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _body_too_large(error: BaseException) -> BodyTooLarge | None:
    """The BodyTooLarge behind ``error``: raised directly, grouped by a task group, or as the cause of another error."""
    seen = 0
    while error is not None and seen < 10:
        seen += 1
        if isinstance(error, BodyTooLarge):
            return error
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                found = _body_too_large(inner)
                if found is not None:
                    return found
            return None
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return None


async def _plain(send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
