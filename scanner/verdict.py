"""Exit statuses: what a CI job reads from a scan."""

from __future__ import annotations

from enum import IntEnum

from scanner.models import RuleResult, ScanResult, Severity, Status


class ExitCode(IntEnum):
    OK = 0  # every applicable rule passed (or failed below --fail-on) and all were checked
    FAILED = 1  # a rule failed at or above --fail-on
    USAGE = 2  # bad usage, invalid rule pack or inventory, target outside the scope
    INCOMPLETE = 3  # no failure at that level, but some rule could not be checked


def exit_code(result: ScanResult, fail_on: Severity) -> ExitCode:
    severity = {r.id: r.severity for r in result.rules}

    def counts(r: RuleResult) -> bool:
        return severity[r.rule_id].rank >= fail_on.rank

    if any(r.status is Status.FAIL and counts(r) for r in result.results):
        return ExitCode.FAILED
    if any(r.status is Status.ERROR for r in result.results):
        return ExitCode.INCOMPLETE
    return ExitCode.OK
