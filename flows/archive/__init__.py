"""Archived copies for broken links: the Wayback Machine's CDX index read and its answers
parsed (`cdx`), one shared per-run budget of archive requests (`budget`) and the one
budgeted, guarded, capped GET (`budgeted_get`), answers cached across nights on disk
(`cache`), a capture played back and judged — a real page, not an error page or a redirect
home (`playback`) — and the lookup that picks the capture closest before the link's last
good night (`lookup`). The nightly run calls it from `flows.archived_copies`, which turns the
outcomes into the link rows' `archived_url`, `archived_at` and `archive_note`.

May import: `extractors` and `flows.fetch`; never `flows.report`, `flows.shards` or
`flows.dataset`.
"""
