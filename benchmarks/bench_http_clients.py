"""Where the link check's transport time goes: HTTP clients side by side (issue 3).

The engine's verdict-free row in `bench_link_check.py` spends about 0.7 ms of CPU per URL,
lychee about 0.1 ms. This script asks how much of that the HTTP client itself costs: each
client GETs every URL of the simulated web once (no redirects followed, body read to the
end) at the same concurrency, in a fresh child process, and reports the wall time and the
CPU time of the fetching alone (interpreter start-up and imports excluded).

Clients:
- `linkpflege transport`: `flows.fetch.http_client.build_client` (httpx with one small httpcore
  pool per origin, as the engine uses it), without the engine's per-URL logic;
- `httpx`: a default `httpx.AsyncClient` (one shared httpcore pool);
- `httpcore`: a bare `httpcore.AsyncConnectionPool`;
- `aiohttp`: `aiohttp.ClientSession` (C-accelerated parser), if installed;
- `httpx over aiohttp`: `httpx.AsyncClient` with `httpx_aiohttp.AiohttpTransport`, if
  installed.

aiohttp and httpx-aiohttp are not dependencies of Linkpflege:
`.venv/bin/pip install -r benchmarks/requirements.txt`.

    .venv/bin/python benchmarks/bench_http_clients.py            # 10,000 URLs, 3 runs each
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sim_web import SimWeb, add_web_options, config_from_options

CLIENTS = ("linkpflege transport", "httpx", "httpcore", "aiohttp", "httpx over aiohttp")
NEEDS = {"aiohttp": ("aiohttp",), "httpx over aiohttp": ("aiohttp", "httpx_aiohttp")}


async def _fetch_with(client: str, urls: list[str], concurrency: int) -> int:
    """GET every URL once; the number of answers."""
    gate = asyncio.Semaphore(concurrency)
    answers = 0

    async def each(get: Callable[[str], Awaitable[None]]) -> None:
        async def one(url: str) -> None:
            nonlocal answers
            async with gate:
                await get(url)
                answers += 1

        await asyncio.gather(*(one(url) for url in urls))

    if client in ("linkpflege transport", "httpx", "httpx over aiohttp"):
        import httpx

        if client == "linkpflege transport":
            from flows.fetch.http_client import build_client
            from flows.fetch.settings import FetchSettings

            settings = FetchSettings(
                concurrency=concurrency,
                per_host=concurrency,
                per_host_interval=0,
                allow_private_addresses=True,
                trust_env=False,
            )
            http = build_client(settings)
        elif client == "httpx":
            limits = httpx.Limits(max_connections=concurrency)
            http = httpx.AsyncClient(limits=limits, trust_env=False)
        else:
            import aiohttp
            from httpx_aiohttp import AiohttpTransport

            connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
            session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
            http = httpx.AsyncClient(transport=AiohttpTransport(client=session), trust_env=False)

        async def get_httpx(url: str) -> None:
            async with http.stream("GET", url) as response:
                async for _ in response.aiter_raw():
                    pass

        async with http:
            await each(get_httpx)
    elif client == "httpcore":
        import httpcore

        async with httpcore.AsyncConnectionPool(max_connections=concurrency) as pool:

            async def get_httpcore(url: str) -> None:
                async with pool.stream("GET", url) as response:
                    async for _ in response.aiter_stream():
                        pass

            await each(get_httpcore)
    else:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

            async def get_aiohttp(url: str) -> None:
                async with session.get(url, allow_redirects=False) as response:
                    await response.read()

            await each(get_aiohttp)
    return answers


def worker(client: str, urls_file: str, concurrency: int) -> None:
    """Child process: one client over the list; prints one JSON line."""
    urls = Path(urls_file).read_text(encoding="utf-8").split()
    started, cpu = time.perf_counter(), time.process_time()
    answers = asyncio.run(_fetch_with(client, urls, concurrency))
    print(
        json.dumps(
            {
                "wall_s": time.perf_counter() - started,
                "cpu_s": time.process_time() - cpu,
                "answers": answers,
            }
        )
    )


def installed(client: str) -> bool:
    return all(importlib.util.find_spec(module) for module in NEEDS.get(client, ()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--urls", type=int, default=10_000)
    add_web_options(parser)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    config = config_from_options(args)
    rows: dict[str, list[dict[str, float]]] = {client: [] for client in CLIENTS}
    missing = [client for client in CLIENTS if not installed(client)]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    with SimWeb(config) as web, tempfile.TemporaryDirectory() as work:
        urls_file = Path(work) / "urls.txt"
        urls_file.write_text("\n".join(link.url for link in web.links(args.urls)))
        for _ in range(args.repeat):  # interleaved, so a busy neighbour hurts all alike
            for client in CLIENTS:
                if client in missing:
                    continue
                command = [sys.executable, __file__, "--worker", client, str(urls_file)]
                command.append(str(args.concurrency))
                done = subprocess.run(command, capture_output=True, text=True, env=env)
                if done.returncode != 0:
                    sys.stderr.write(done.stderr[-2000:])
                    raise RuntimeError(f"{client} failed")
                rows[client].append(json.loads(done.stdout.strip().splitlines()[-1]))

    floor = args.urls * args.latency_ms / 1000 / args.concurrency
    print(
        f"### HTTP clients, {args.urls:,} GETs, {args.hosts} hosts, {args.latency_ms:g} ms "
        f"latency, {args.page_kb:g} KiB pages, concurrency {args.concurrency} "
        f"(latency floor {floor:.2f} s); median of {args.repeat}\n"
    )
    print("| client | fetch wall s | fetch CPU s | CPU per request ms | answers |")
    print("|---|---|---|---|---|")
    for client in CLIENTS:
        if client in missing:
            print(f"| {client} | not installed | | | |")
            continue
        runs = rows[client]
        wall = statistics.median(run["wall_s"] for run in runs)
        cpu = statistics.median(run["cpu_s"] for run in runs)
        answers = min(int(run["answers"]) for run in runs)
        print(f"| {client} | {wall:.2f} | {cpu:.2f} | {1000 * cpu / args.urls:.2f} | {answers:,} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
