"""Real TCP listeners on loopback addresses for tests: each counts the connections it accepts, keeps the
request heads and answers with ``respond(head)``, so a test can prove a connection was (or was never) made."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class Listener:
    """A TCP service on ``host``: counts connections, answers each with ``respond(request head)``."""

    def __init__(self, host: str, port: int, respond: Callable[[bytes], bytes]):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.respond = respond
        self.connections = 0
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                head = b""
                try:
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        piece = conn.recv(4096)
                        if not piece:
                            break
                        head += piece
                    self.requests.append(head)
                    conn.sendall(self.respond(head))
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def http_answer(body: bytes, content_type: str, status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n").encode() + body


def listeners_on_one_port(hosts: tuple[str, ...], respond: Callable[[bytes], bytes]) -> list[Listener]:
    """Listeners on every host in ``hosts``, all on the same port (so one URL port reaches whichever the client picks)."""
    for _ in range(50):
        first = Listener(hosts[0], 0, respond)
        others: list[Listener] = []
        try:
            for host in hosts[1:]:
                others.append(Listener(host, first.port, respond))
        except OSError:
            for listener in [first, *others]:
                listener.close()
            continue
        return [first, *others]
    raise RuntimeError("no port free on every host")
