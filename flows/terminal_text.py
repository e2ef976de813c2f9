"""Harvested text shown in a terminal: control characters could move the cursor, rewrite
earlier lines or set the window title (escape-sequence injection), so they are replaced."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls (incl. the 8-bit CSI), and the
# bidirectional overrides that can make a line read differently from what it contains.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    return _UNSAFE.sub("\ufffd", text)


def one_line(text: str) -> str:
    """For single-line fields: newlines become spaces too."""
    return terminal_safe(" ".join(text.split()))
