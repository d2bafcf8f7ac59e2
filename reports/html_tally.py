"""Status counting shared by the HTML report's sections: worst status wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scanner.models import Severity, Status
from scanner.verdict import STATUS_ORDER, worst_status

SEVERITY_ORDER = tuple(sorted(Severity, key=lambda s: -s.rank))


@dataclass(frozen=True)
class Tally:
    counts: tuple[tuple[Status, int], ...]  # every status, in STATUS_ORDER
    worst: Status | None  # None: no result at all
    total: int

    def count(self, status: Status) -> int:
        return dict(self.counts)[status]

    @property
    def nonzero(self) -> tuple[tuple[Status, int], ...]:
        return tuple((s, n) for s, n in self.counts if n)


def tally(statuses: Iterable[Status]) -> Tally:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        counts[status] += 1
    worst = worst_status(s for s, n in counts.items() if n)
    return Tally(tuple(counts.items()), worst, sum(counts.values()))
