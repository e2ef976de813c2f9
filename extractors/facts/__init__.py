"""Page facts: what one fetched body (HTML or PDF) says about itself — title, summary, language,
dates, content hash and fingerprint — dispatched on content type and magic bytes.

May import: `extractors.text`, `extractors.dates`, `extractors.records`.
"""
