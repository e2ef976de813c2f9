"""Shards: checking one shard of hosts (fetch, raw capture, classification, extraction), its
link rows written as a part of the night, and the analysis processes beside it that die
with the run.

May import: `extractors`, `flows.fetch`, `flows.dataset`; never `flows.report`.
"""
