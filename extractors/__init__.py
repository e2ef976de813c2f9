"""The pure core: bytes, statuses and records in, facts and verdicts out.

Nothing here touches the network, the disk or Prefect, so every rule is testable with a string.
Subpackages: `text` (decoding, content region, summaries, fingerprints), `dates` (when a page
was published or last changed), `facts` (what an HTML page or a PDF says about itself), `health`
(link health, soft 404s, bot challenges, run outcome), `catalog` (reading the catalogue and
listings), `verdicts` (link rows across nights, entry verdicts), `urls` (hosts, credentials).
May import: the standard library, parsing libraries and itself; never `flows`, httpx or Prefect.
"""
