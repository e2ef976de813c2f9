"""Text out of fetched documents: decoding bytes, the page's own content region, main-text
bounds, summaries and language, and the SimHash fingerprint that says "changed substantially".

May import: only itself (and the standard library and parsers).
"""
