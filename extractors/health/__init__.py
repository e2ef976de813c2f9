"""Link health: one fetch judged (ok, moved, not_found, soft_404, bot_blocked, …), with the soft
404, bot challenge and refresh-redirect detectors it needs, and whether a whole run's failures
say our own network was down.

May import: `extractors.text`, `extractors.urls`, `extractors.records`.
"""
