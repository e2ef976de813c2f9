"""The curated dataset and what lives beside it on disk: the explicit Parquet schemas, reading
and atomically publishing the tables, validating a night before it is published, raw WARC
captures, the editors' review log and the one-run-per-directory lock.

May import: `extractors` and itself; never `flows.fetch`, `flows.shards` or `flows.report`.
"""
