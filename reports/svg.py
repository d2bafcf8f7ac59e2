"""Geometry of the small horizontal bar charts drawn as inline SVG by the HTML templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    key: str  # what the template labels and colours the bar by
    value: int
    y: float  # top of the bar
    width: float
    baseline: float  # y of the label and value text

    @property
    def value_x(self) -> float:
        return self.width + 6


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int  # left column for the labels; bars start here
    bar_height: int
    bars: tuple[Bar, ...]

    @property
    def total(self) -> int:
        return sum(b.value for b in self.bars)


def bar_chart(items: Sequence[tuple[str, int]], *, width: int = 440, label_width: int = 150,
              row: int = 30, bar_height: int = 18, value_room: int = 56) -> BarChart:
    """One bar per item, scaled to the largest value; zero values get no bar."""
    top = max((v for _, v in items), default=0) or 1
    span = width - label_width - value_room
    bars = tuple(
        Bar(key, value, 6 + i * row, round(span * value / top, 1),
            6 + i * row + bar_height / 2 + 5)
        for i, (key, value) in enumerate(items)
    )
    return BarChart(width, 12 + len(items) * row - (row - bar_height), label_width, bar_height,
                    bars)
