"""One status order and one overall verdict, read by every output and by the exit status.

`STATUS_TABLE` is the only place that ranks statuses: worst first, each with the verdict one
result of that status pushes the whole scan to (None: it says nothing either way). Adding a
status (e.g. `waived`) is one line here, its member in `scanner.models.Status` and its words in
the catalogues (`status.*`, `console.status.*`, `console.total.*`: a test lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import IntEnum, StrEnum

from scanner.models import RuleResult, ScanResult, Severity, Status


class Verdict(StrEnum):
    """Worst first. A scan where nothing was checked is INCOMPLETE, never COMPLIANT."""

    NON_COMPLIANT = "non_compliant"
    INCOMPLETE = "incomplete"
    COMPLIANT = "compliant"


STATUS_TABLE: tuple[tuple[Status, Verdict | None], ...] = (
    (Status.FAIL, Verdict.NON_COMPLIANT),
    (Status.ERROR, Verdict.INCOMPLETE),
    (Status.WAIVED, Verdict.COMPLIANT),  # a failure accepted by an active waiver
    (Status.PASS, Verdict.COMPLIANT),
    (Status.NOT_APPLICABLE, None),
)
STATUS_ORDER: tuple[Status, ...] = tuple(s for s, _ in STATUS_TABLE)
"""Worst first: a failure outweighs an unchecked rule, which outweighs a pass."""

_EFFECT = dict(STATUS_TABLE)
_VERDICT_ORDER = tuple(Verdict)


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """The worst of `statuses` in STATUS_ORDER; None when there is none."""
    present = set(statuses)
    return next((s for s in STATUS_ORDER if s in present), None)


def status_rank(status: Status) -> int:
    """0 for the worst status; sort keys use it."""
    return STATUS_ORDER.index(status)


def verdict_of(statuses: Iterable[Status]) -> Verdict:
    """The worst verdict any status pushes to; INCOMPLETE when none pushes at all."""
    effects = {_EFFECT[s] for s in statuses} - {None}
    return next((v for v in _VERDICT_ORDER if v in effects), Verdict.INCOMPLETE)


def scan_verdict(result: ScanResult, fail_on: Severity = Severity.INFO) -> Verdict:
    """The overall verdict; failures of rules below `fail_on` count as checked, not failed."""
    return verdict_of(gated_statuses(result.results, _severities(result), fail_on))


def gated_statuses(results: Iterable[RuleResult], severity: Callable[[str], Severity],
                   fail_on: Severity) -> list[Status]:
    """Statuses as the gate sees them: a failure below `fail_on` is reported but not fatal."""
    return [Status.PASS if r.status is Status.FAIL and severity(r.rule_id).rank < fail_on.rank
            else r.status for r in results]


def _severities(result: ScanResult) -> Callable[[str], Severity]:
    by_id = {r.id: r.severity for r in result.rules}
    return lambda rule_id: by_id.get(rule_id, Severity.INFO)


class ExitCode(IntEnum):
    OK = 0  # every applicable rule passed (or failed below --fail-on) and all were checked
    FAILED = 1  # a rule failed at or above --fail-on
    USAGE = 2  # bad usage, invalid rule pack or inventory, target outside the scope
    INCOMPLETE = 3  # no failure at that level, but some rule could not be checked (or none was)


EXIT_CODE = {
    Verdict.NON_COMPLIANT: ExitCode.FAILED,
    Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
    Verdict.COMPLIANT: ExitCode.OK,
}


def exit_code(result: ScanResult, fail_on: Severity) -> ExitCode:
    return EXIT_CODE[scan_verdict(result, fail_on)]
