"""Fetching: the HTTP engine that fetches many URLs politely within one deadline each — host
lanes and per-origin pools, the politeness limiter, robots.txt, the SSRF guard with pinned
connections, capped and decoded bodies, failure mapping and retries.

May import: `extractors` and itself; never `flows.report`, `flows.dataset` or `flows.shards`.
"""
