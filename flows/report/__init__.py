"""The editors' report (German): each link assessed with a sentence, evidence and an action, the
view model shared by all formats, and its renderers — HTML (templates/), Markdown, CSV — plus
the trend of earlier nights and Prefect artifacts.

May import: `extractors`, `flows.dataset` and itself; never `flows.fetch` or `flows.shards`.
"""
