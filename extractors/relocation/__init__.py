"""Where a lost page went on its provider's own site: sitemap files read (`sitemaps`), URL
rewrite rules learnt from the provider's other moved links (`url_patterns`), and candidates
scored against what was known of the lost page, with the hard rejections (home, search and
login pages) and the one proposal picked only when it is sure and unambiguous (`ranking`).

Pure: bytes and small records in, facts out; the shell that fetches sitemaps and candidates
is `flows.relocation`.

May import: `extractors.text`, `extractors.facts`, `extractors.health`, `extractors.records`.
"""
