"""Shards: checking one shard of hosts (fetch, raw capture, classification, extraction) and the
worker processes that do it beside the run — fetch processes per shard, analysis processes per
page, and workers that die with the run.

May import: `extractors`, `flows.fetch`, `flows.dataset`; never `flows.report`.
"""
