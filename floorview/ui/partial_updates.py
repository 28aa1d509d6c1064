"""Send only the changed part of a line to the terminal, not the line from its widget's edge.

Textual 8 writes a partial repaint from the left edge of each widget on the line to the end
of the changed span (``ChopsUpdate.render_segments`` crops the end only; upstream issue
Textualize/textual#5625). A board whose Time column changes on every poll then re-sends
every visible row from its first column: ~15 KB per refresh at 160x48 on a 2,000-agent
floor (benchmarks/bench_ui.py), where the changed cells are a third of that. Over SSH on a
slow link that is the difference between a live board and a lagging one.

This replaces that one method with one that crops both ends. It is installed only when the
class still has the shape it was written against (textual 8.x, pinned in pyproject.toml);
otherwise Textual's own is kept and floorview only sends more bytes.
"""

from __future__ import annotations

import inspect
from typing import Any

from rich.console import Console
from rich.control import Control


def _render_segments(self: Any, console: Console) -> str:
    sequences: list[str] = []
    append = sequences.append
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = max(x, x1)
            # Our spans start on a widget's edge or a table cell's (a padding blank), never
            # inside a wide character, so cutting there cannot split one.
            cropped = strip.crop(start - x, min(end, x2) - x)
            append(Control.move_to(start, y).segment.text)
            append(cropped.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install() -> bool:
    """Use the cropping writer; False (and Textual's own kept) if Textual has changed."""
    try:
        from textual._compositor import ChopsUpdate
    except ImportError:
        return False
    original = getattr(ChopsUpdate, "render_segments", None)
    if original is None or getattr(original, "__floorview__", False):
        return original is not None
    if list(inspect.signature(original).parameters) != ["self", "console"]:
        return False
    _render_segments.__floorview__ = True  # type: ignore[attr-defined]
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    return True
