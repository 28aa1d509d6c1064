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
_WHITESPACE = "\t\n\r\v\f"
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co"))
_ELLIPSIS = "…"


def clean_text(value: str, max_len: int = MAX_TEXT) -> str:
    """Strip escapes, control and bidi characters; collapse whitespace; cap the length."""
    # A floor poll cleans tens of thousands of names and ids, nearly all of them harmless.
    # isprintable() is false for every Cc/Cf/Cs/Co character (ESC and the bidi controls
    # included) and for every whitespace character but the ASCII space, so a printable
    # string only needs its spaces collapsed.
    if not value.isprintable():
        value = _ESCAPES.sub("", value).translate(_BIDI)
        value = "".join(
            " " if ch in _WHITESPACE else ch
            for ch in value
            if ch in _WHITESPACE or unicodedata.category(ch) not in _DROPPED
        )
        value = " ".join(value.split())
    elif "  " in value or value[:1] == " " or value[-1:] == " ":
        value = " ".join(value.split())
    if len(value) > max_len:
        # Below 1 there is no room even for the ellipsis that marks the cut.
        value = value[: max_len - 1] + _ELLIPSIS if max_len >= 1 else ""
    return value
