"""Figures as cells: durations stay within their column whatever a vendor's clock says."""

from __future__ import annotations

import pytest

from floorview.ui.format import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"), (0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3600, "1:00:00"),
        (47 * 3600 + 59 * 60 + 59, "47:59:59"),
        # An agent a vendor says has been in one state since last week.
        (48 * 3600, "2d00h"), (4640 * 3600 + 25 * 60, "193d08h"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text
    assert len(duration(seconds)) <= 8
