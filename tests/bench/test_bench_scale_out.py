"""The scale-out benchmark (benchmarks/bench_scale_out.py) still runs end to end: tiny sizes,
the simulated web on loopback only (no internet), no lychee row (a peer, maybe absent). The
figures of record come from the full run in benchmarks/results/."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_scale_out.py"
NUMBER = r"[\d,.]+"


def _env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and key != "PREFECT_API_URL"
    }


def test_the_wide_simulated_web_serves_past_127_0_0_254() -> None:
    """sim_web.py stops at 250 hosts; the benchmark's server goes on to 127.0.1.x."""
    server = subprocess.Popen(
        [sys.executable, str(SCRIPT), "sim-web", "--hosts", "300", "--latency-ms", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("SIM-WEB READY port="), line
        port = int(line.rsplit("=", 1)[1])
        # host 300 is the 300th address: 127.0.0.2 … 127.0.0.254 (253), then 127.0.1.1 … .47
        connection = http.client.HTTPConnection("127.0.1.47", port, timeout=10)
        connection.request("GET", "/p/299")
        answer = connection.getresponse()
        assert answer.status == 200 and b"Projekt 299" in answer.read()
        connection.close()
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.timeout(300)
def test_tiny_run_gives_a_table_with_numbers() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--urls", "60", "--hosts", "6", "--small-urls", "30"),
            *("--rows", "single,dask2", "--small-rows", "single", "--second-night-rows", "single"),
            *("--quiet-below", "0", "--no-save"),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    assert "| row | URLs | wall s | URLs/s |" in report
    for label, urls in (
        (r"single process \(default\)", 60),
        (r"single process \(default\)", 30),
        (r"single process \(default\), second night", 60),
        (r"single process \(default\), second night", 30),
        (r"`--task-runner dask --workers 2`", 60),
    ):
        # row | URLs | wall | URLs/s | CPU | CPU ms/URL | split | run RSS | worker RSS | verdicts
        pattern = (
            rf"\| `linkpflege run`, {label} \| {urls} \| {NUMBER} \| {NUMBER} \| {NUMBER} \| "
            rf"{NUMBER} \| {NUMBER} / {NUMBER} \| {NUMBER} \| (?:{NUMBER}|–) \| "
            rf"{urls}/{urls}; exact {urls} \| none \|"
        )
        assert re.search(pattern, report), f"no row {label} at {urls} URLs in:\n{report}"
    assert re.search(r"run process peak RSS \d+ MB at 30 URLs, \d+ MB at 60: × [\d.]+", report)
    # The second night's own growth line, on the same data as the first night.
    second = r"second night: run process peak RSS \d+ MB at 30 URLs, \d+ MB at 60: × [\d.]+"
    assert re.search(second, report), report
