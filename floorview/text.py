"""Make strings from APIs safe to put on a terminal.

Names, subjects and reasons come from systems we do not control. Escape sequences would
repaint the terminal, bidi controls would reorder what a supervisor reads, and a 10 kB
"name" would wreck every table. They are cleaned once, where they enter the model.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 120

# CSI / OSC / other escape sequences first, so their parameters go with the ESC.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])?")
_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069"))


def clean_text(value: str, max_len: int = MAX_TEXT) -> str:
    """Strip escapes, control and bidi characters; collapse whitespace; cap the length."""
    value = _ESCAPES.sub("", value).translate(_BIDI)
    value = "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in value
        if ch in "\t\n\r\v\f" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )
    value = " ".join(value.split())
    if len(value) > max_len:
        value = value[: max_len - 1] + "…"
    return value
