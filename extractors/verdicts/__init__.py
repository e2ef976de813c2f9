"""Verdicts across nights: tonight's observation plus last night's row becomes a link row with
its history; a night's link rows become one verdict per catalogue entry, with German reasons.

May import: `extractors.text`, `extractors.records`.
"""
