"""The repair-suggestions benchmark still runs and still measures what it says (one small
simulated site; the figures of record come from the full run in benchmarks/results/)."""

from __future__ import annotations

import asyncio

from benchmark_scripts import load_benchmark


def test_one_site_gives_proposals_copies_and_a_kept_budget() -> None:
    bench = load_benchmark("bench_repair_suggestions")
    results = asyncio.run(bench.measure(sites=1, seed=3))
    assert results["lost links"] == 32 and results["with a new location (truth)"] == 24
    assert results["wrong proposals (home, search, decoy or another page)"] == 0
    assert float(results["recall"]) >= 0.7
    assert int(results["most archive requests in any 60 s (budget clock; limit 24)"]) <= 24
    copies = int(str(results["lost links with a verified archived copy"]).split()[0])
    assert 0 < copies == results["… of them the capture before the break"]
