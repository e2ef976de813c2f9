"""Dates: the grammar of calendar days as pages write them, and the cascade that decides when a
page was published and when it was last changed.

May import: `extractors.text`, `extractors.records`.
"""
