"""The catalogue: reading its CSV (rows and row problems), importing a published listing into
rows, and keeping entries that left the catalogue marked rather than dropped.

May import: `extractors.urls`, `extractors.records`.
"""
