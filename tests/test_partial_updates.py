"""A partial repaint sends the changed span of a line, not the line from its widget's edge."""

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from floorview.ui import partial_updates


def render(x1: int, x2: int) -> str:
    assert partial_updates.install()
    row = Strip([Segment(" Billing        ", Style(bold=True)), Segment("  12   0:42  ▲3 ")])
    update = ChopsUpdate([{0: row}], [(0, x1, x2)], [[row.cell_length]])
    return update.render_segments(Console(color_system=None, force_terminal=True))


def test_only_the_changed_cells_are_sent_from_where_they_start() -> None:
    out = render(21, 27)  # the "0:42" cell and its padding
    assert out.startswith("\x1b[1;22H")  # the cursor goes to column 22, not to column 1
    assert "Billing" not in out
    assert "0:42" in out and "▲3" not in out


def test_a_span_from_the_edge_is_sent_whole() -> None:
    out = render(0, 32)
    assert out.startswith("\x1b[1;1H")
    assert "Billing" in out and "▲3" in out
