"""The shell: network, disk and Prefect around the pure core in `extractors`.

At this level only orchestration and entry points: the Prefect flow (`harvest_flow`), the
command line (`cli`), settings (`run_settings`), the nightly schedule (`nightly_serve`),
terminal output, and `server_thread` (an HTTP server beside the code, for the demo and tests).
The work lives in subpackages: `fetch` (the polite HTTP engine), `shards` (checking a shard of
hosts, worker processes), `dataset` (Parquet tables, raw captures, reviews, the run lock),
`report` (the editors' report) and `demo` (the offline sample web).
"""

import os

# Arrow's buffers from the C library's allocator, chosen before anything imports pyarrow
# (Arrow reads this once, at import; processes this one starts inherit it). Arrow's
# default, mimalloc, keeps what a table frees for its next tables, so a night's table
# built a column at a time still peaked near twice its size; the C library gives large
# blocks back as they are freed (benchmarks/results/scale_out-2026-12-06-3.md).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
