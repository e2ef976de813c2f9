"""Shards: checking one shard of hosts (fetch, raw capture, classification, extraction), what
it is given (its catalogue rows, last night's rows of its links), its link rows written as a
part of the night, and the analysis processes beside it that die with the run.

May import: `extractors`, `flows.fetch`, `flows.dataset`; never `flows.report`.
"""
