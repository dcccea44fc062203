"""The W3C SPARQL 1.1 Protocol and Service Description test suites, against a test instance of the endpoint.

The protocol tests load their data with SPARQL Update, so they run against a
server started with ``--allow-updates`` (loopback only, an empty in-memory
store; never the public routes of a normal start). The suites and their
runner come from ../shared; the npm package they need is installed by .ci/run
into ./protocol-tests, and the tests run offline from there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

from .conftest import ROOT, SHARED, free_port

RUNNER = SHARED / "tools" / "run_protocol_tests.sh"
SUITES = SHARED / "w3c-rdf-tests"
WORKDIR = ROOT / "protocol-tests"

pytestmark = [
    pytest.mark.skipif(not RUNNER.exists() or not SUITES.exists(), reason="the W3C suites and runner are expected in ../shared"),
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to run the W3C suites"),
    pytest.mark.skipif(not (WORKDIR / "node_modules" / "rdf-test-suite").exists(), reason="rdf-test-suite is installed into ./protocol-tests by .ci/run"),
]


def test_w3c_protocol_and_service_description_suites_pass(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from catalogue.cli.commands import main; main()", "serve", "--allow-updates", "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}/sparql"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the test instance did not start"
                time.sleep(0.2)
        env = {**os.environ, "npm_config_offline": "true", "WORKDIR": str(WORKDIR), "RDF_TESTS": str(SUITES), "ENDPOINT": endpoint}
        run = subprocess.run(["sh", str(RUNNER)], env=env, capture_output=True, text=True, timeout=600)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
    output = run.stdout + run.stderr
    assert "34 / 34 tests succeeded" in output, output[-4000:]
    assert "3 / 3 tests succeeded" in output, output[-4000:]
