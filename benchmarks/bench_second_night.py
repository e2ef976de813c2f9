"""Incremental nights (issue 5): bytes and time of a second night over unchanged pages.

Runs the real harvest (`flows.harvest_flow.harvest`, the function the Prefect flow wraps;
Prefect start-up is not part of the figures) twice over the same catalogue against the
simulated web of `sim_web.py`, whose pages carry an ETag and answer 304 to a matching
If-None-Match. Night 1 fetches everything; night 2 sends the stored validators.

    .venv/bin/python benchmarks/bench_second_night.py --urls 2000

Bytes are the body bytes the engine read (`links.parquet` column `bytes_read`), summed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from sim_web import SimWeb, add_web_options, config_from_options

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.harvest_flow import harvest  # noqa: E402
from flows.run_settings import load_settings  # noqa: E402


def night(
    catalog: Path, data_dir: Path, day: str, args: argparse.Namespace
) -> tuple[float, int, dict]:
    settings = load_settings(
        {
            "catalog": str(catalog),
            "data_dir": str(data_dir),
            "now": day,
            "allow_private_addresses": True,
            "concurrency": args.concurrency,
            "per_host": args.concurrency,
            "per_host_interval": 0.0,
            "timeout": 10.0,
            "progress": False,
        },
        environ={},
    )
    started = time.perf_counter()
    summary = harvest(settings)
    wall = time.perf_counter() - started
    links = pq.read_table(
        data_dir / "curated" / "links.parquet", columns=["bytes_read", "http_status"]
    )
    statuses: dict = {}
    for status in links["http_status"].to_pylist():
        statuses[status] = statuses.get(status, 0) + 1
    del summary
    return wall, sum(links["bytes_read"].to_pylist()), statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    add_web_options(parser, hosts=50)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)

    config = config_from_options(args)
    with SimWeb(config) as web, tempfile.TemporaryDirectory(prefix="lp-second-night-") as tmp:
        catalog = Path(tmp) / "catalog.csv"
        with catalog.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["entry_id", "provider", "title", "link_label", "url"])
            for number, link in enumerate(web.links(args.urls)):
                writer.writerow([f"e{number}", "Stadt", f"Eintrag {number}", "Link", link.url])
        data_dir = Path(tmp) / "data"
        first = night(catalog, data_dir, "2026-11-25", args)
        second = night(catalog, data_dir, "2026-11-26", args)

    print("| night | wall s | body bytes read | HTTP statuses |")
    print("|---|---|---|---|")
    for name, (wall, read, statuses) in (("1 (full)", first), ("2 (conditional)", second)):
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
        print(f"| {name} | {wall:.1f} | {read:,} | {shown} |")
    print(
        f"\nsecond night: {second[1] / first[1]:.1%} of the first night's bytes, "
        f"{second[0] / first[0]:.0%} of its time ({args.urls} URLs, {args.hosts} hosts, "
        f"{args.latency_ms:g} ms latency, {args.page_kb:g} KiB pages)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
