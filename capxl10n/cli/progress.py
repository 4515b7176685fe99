"""Progress on the terminal (docs/sync.md, "Progress").

:func:`clear_line` clears a bar being drawn so that a log line never lands in the middle of it.
"""
from __future__ import annotations

import sys

#: The bar being drawn on stderr, if any: its line is cleared before anything else is written.
_ACTIVE: list[object] = []


def clear_line() -> None:
    if _ACTIVE:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()
