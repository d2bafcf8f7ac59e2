"""The HTML report's view of exclusions and waivers (counts before and after, each decision)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.models import Exclusion, ScanResult, Status, WaiverRecord
from scanner.waivers import WaiverCounts, waiver_counts

COUNTED = (Status.PASS, Status.FAIL, Status.WAIVED, Status.ERROR)


@dataclass(frozen=True)
class PolicyView:
    counts: WaiverCounts
    waivers: tuple[WaiverRecord, ...]
    exclusions: tuple[Exclusion, ...]
    statuses: tuple[Status, ...] = COUNTED

    @property
    def shown(self) -> bool:
        return bool(self.waivers or self.exclusions)


def policy_view(result: ScanResult) -> PolicyView:
    return PolicyView(counts=waiver_counts(result.results), waivers=result.waivers,
                      exclusions=result.exclusions)
