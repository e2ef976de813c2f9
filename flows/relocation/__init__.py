"""Finding where a broken page went on its provider's own site: the host's sitemaps fetched
politely (robots.txt `Sitemap:` lines, else `/sitemap.xml`; index files followed within caps)
in `sitemap_fetch`, and the candidates from sitemaps and URL rewrite patterns pre-ranked,
the top few fetched and verified, scored and one proposal picked in `candidates`; the
archive's index of the host after the break (`archive_index`, within the archive budget).
Every request to a provider goes through `flows.fetch`'s engine: per-host politeness,
robots.txt, the SSRF guard.

May import: `extractors`, `flows.fetch` and `flows.archive`.
"""
