"""Every label the code asks `tr` for has a Simplified Chinese entry, so switching language
never leaves an English word on a Chinese screen by oversight."""

import ast
from pathlib import Path

from floorview.ui import i18n, keymap
from floorview.ui.help_view import FIGURES
from floorview.ui.live_table import LiveTable

UI = Path(__file__).resolve().parent.parent / "floorview" / "ui"


def _tr_literals() -> set[str]:
    found: set[str] = set()
    for path in UI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def _table_labels() -> set[str]:
    import floorview.ui.alert_table
    import floorview.ui.tables  # noqa: F401  (registers the LiveTable subclasses)

    labels: set[str] = set()
    stack = list(LiveTable.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        labels.update(c.label for c in cls.COLUMNS if c.label)
    return labels


def test_every_label_asked_for_is_translated() -> None:
    wanted = _tr_literals() | _table_labels()
    wanted |= {a.label for a in keymap.ACTIONS} | {a.help for a in keymap.ACTIONS}
    wanted |= {meaning for _, meaning in FIGURES}
    wanted |= {name for name, _ in FIGURES if name.isascii()}
    assert len(wanted) > 80  # the scan found the labels, not nothing
    missing = sorted(w for w in wanted if w not in i18n.ZH_CN)
    assert missing == []


def test_tr_fills_fields_and_falls_back_to_english() -> None:
    try:
        i18n.set_language("zh-CN")
        assert i18n.tr("{shown} of {total} agents", shown=3, total=60) == "3/60 名坐席"
        assert i18n.tr("a label nobody translated") == "a label nobody translated"
    finally:
        i18n.set_language("en")
    assert i18n.tr("{shown} of {total} agents", shown=3, total=60) == "3 of 60 agents"
