"""Real SPARQL servers on 127.0.0.1 for tests and benchmarks: Oxigraph server and Virtuoso Open Source.

Each runs in its own temporary folder on free ports and is stopped (and its
folder removed) when the context ends. ``store_settings`` gives the
``[store]`` table that points the catalogue at it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SparqlServer:
    name: str
    query_url: str
    update_url: str
    graph_store_url: str
    auth: str = "basic"
    user: str = ""
    password: str = ""
    batch_triples: int = 20_000  # what one update request may carry on this server
    graph_store_reads: bool = False  # whether GET on the Graph Store Protocol returns whole graphs (Virtuoso cuts them)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def store_settings(self, **extra) -> dict:
        """The [store] table for catalogue.toml; credentials go to the environment (see ``environment``)."""
        settings = {
            "backend": "sparql",
            "query_url": self.query_url,
            "update_url": self.update_url,
            "graph_store_url": self.graph_store_url,
            "auth": self.auth,
            "timeout": 120,
            "batch_triples": self.batch_triples,
            "graph_store_reads": self.graph_store_reads,
        }
        if self.user:
            settings.update(user_env="CATALOGUE_TEST_STORE_USER", password_env="CATALOGUE_TEST_STORE_PASSWORD")
        settings.update(extra)
        return settings

    def environment(self) -> dict[str, str]:
        return {"CATALOGUE_TEST_STORE_USER": self.user, "CATALOGUE_TEST_STORE_PASSWORD": self.password} if self.user else {}

    def toml(self, **extra) -> str:
        lines = ["[store]"]
        for key, value in self.store_settings(**extra).items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            else:
                lines.append(f"{key} = {value}")
        return "\n".join(lines) + "\n"


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start-up:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start within {seconds:g} s:\n{log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("The Oxigraph server is needed: pip install oxigraph (it ships the 'oxigraph' command).")
    return found


@contextlib.contextmanager
def oxigraph_server(folder: Path | None = None) -> Iterator[SparqlServer]:
    with tempfile.TemporaryDirectory(prefix="oxigraph-") as tmp:
        location = folder or Path(tmp) / "data"
        port = free_port()
        log = Path(tmp) / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                stdout=output, stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(f"{url}/query", process, log)
            yield SparqlServer("oxigraph-server", f"{url}/query", f"{url}/update", f"{url}/store", graph_store_reads=True, process=process)
        finally:
            _stop(process)


VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 200000000
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = 2G
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 1
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
DeferInferenceRulesInit = 0
"""


def virtuoso_binary() -> str:
    found = os.environ.get("VIRTUOSO") or shutil.which("virtuoso-t")
    if not found:
        raise RuntimeError("Virtuoso is needed: apt-get install virtuoso-opensource (it ships virtuoso-t).")
    return found


@contextlib.contextmanager
def virtuoso_server(memory_megabytes: int = 400) -> Iterator[SparqlServer]:
    """Virtuoso with its default row limit (10,000 per result), updates over digest-authenticated /sparql-auth."""
    with tempfile.TemporaryDirectory(prefix="virtuoso-") as tmp:
        http_port, sql_port = free_port(), free_port()
        buffers = max(2000, memory_megabytes * 1024 // 8 * 2 // 3)  # 8 KiB pages, two thirds of the memory
        Path(tmp, "virtuoso.ini").write_text(
            VIRTUOSO_INI.format(dir=tmp, http_port=http_port, sql_port=sql_port, buffers=buffers, dirty=buffers * 3 // 4),
            encoding="utf-8",
        )
        log = Path(tmp) / "out.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [virtuoso_binary(), "+foreground", "+configfile", str(Path(tmp, "virtuoso.ini"))],
                stdout=output, stderr=subprocess.STDOUT, cwd=tmp,
            )
        url = f"http://127.0.0.1:{http_port}"
        try:
            _wait(f"{url}/sparql", process, log)
            yield SparqlServer(
                "virtuoso", f"{url}/sparql", f"{url}/sparql-auth", f"{url}/sparql-graph-crud-auth",
                # Virtuoso's SPARQL compiler gives up on update requests that become more than 10,000 lines of SQL
                # (about 2,000 triples); larger changes are staged through the Graph Store Protocol.
                auth="digest", user="dba", password="dba", batch_triples=500, process=process,
            )
        finally:
            _stop(process)
