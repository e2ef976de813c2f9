"""`linkpflege demo`: a small sample web on 127.0.0.1 (pages/) and the real nightly flow run
against it for two simulated nights, without internet.

May import: anything in `flows` and `extractors` (it is an entry point).
"""
