"""Page facts: what one fetched body (HTML, PDF or Office document: docx, xlsx, pptx, odt, ods,
odp) says about itself — title, summary, language, dates, content hash and fingerprint —
dispatched on content type and magic bytes.

May import: `extractors.text`, `extractors.dates`, `extractors.records`.
"""
