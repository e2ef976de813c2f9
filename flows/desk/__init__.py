"""The editors' desk: the newest report as a signed-in web page where reviews and catalogue
fixes are one click — accounts (`linkpflege users`), sessions and sign-in throttling, the
catalogue edits with their versions and audit log, the Starlette application and its
uvicorn server.

May import: `extractors`, `flows` (the report, the dataset, the settings) and itself.
"""
