"""The shell: network, disk and Prefect around the pure core in `extractors`.

At this level only orchestration and entry points: the Prefect flow (`harvest_flow`), the
command line (`cli`), settings (`run_settings`), the nightly schedule (`nightly_serve`),
terminal output, and `server_thread` (an HTTP server beside the code, for the demo and tests).
The work lives in subpackages: `fetch` (the polite HTTP engine), `shards` (checking a shard of
hosts, worker processes), `dataset` (Parquet tables, raw captures, reviews, the run lock),
`report` (the editors' report) and `demo` (the offline sample web).
"""
