"""How each output names a rule's severity (SARIF, GitHub, GitLab, JUnit) and which JUnit element
a status becomes: one place, pinned by tests/reports/test_levels.py.

Written as `match` statements rather than dict constants so that mutation testing (which mutates
function bodies) reaches every mapping.
"""

from __future__ import annotations

from enum import StrEnum

from scanner.models import Severity, Status


def sarif_level(severity: Severity) -> str:
    """SARIF `level` of a failed result and of a rule's default configuration."""
    match severity:
        case Severity.CRITICAL | Severity.HIGH:
            return "error"
        case Severity.MEDIUM:
            return "warning"
        case Severity.LOW | Severity.INFO:
            return "note"


def security_severity(severity: Severity) -> str | None:
    """GitHub code scanning's `security-severity` (0.1-10); None for info (GitHub reads 0.0 as
    "no security severity", so info rules carry none and show by their level)."""
    match severity:
        case Severity.CRITICAL:
            return "9.5"
        case Severity.HIGH:
            return "8.0"
        case Severity.MEDIUM:
            return "5.5"
        case Severity.LOW:
            return "3.0"
        case Severity.INFO:
            return None


def gitlab_severity(severity: Severity | None, status: Status) -> str:
    """GitLab code-quality `severity` of an issue: a waived failure is `info` (GitLab has no
    suppression), a rule missing from the result `major`, the others by the rule's severity."""
    if status is Status.WAIVED:
        return "info"
    match severity:
        case Severity.CRITICAL:
            return "blocker"
        case Severity.HIGH:
            return "critical"
        case Severity.MEDIUM:
            return "major"
        case Severity.LOW:
            return "minor"
        case Severity.INFO:
            return "info"
        case None:
            return "major"


class JUnitOutcome(StrEnum):
    """The element a JUnit test case carries (none: it passed)."""

    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"


def junit_outcome(status: Status) -> JUnitOutcome | None:
    """fail -> <failure>, error (could not be checked) -> <error>, waived and not applicable ->
    <skipped>, pass -> nothing."""
    match status:
        case Status.FAIL:
            return JUnitOutcome.FAILURE
        case Status.ERROR:
            return JUnitOutcome.ERROR
        case Status.WAIVED | Status.NOT_APPLICABLE:
            return JUnitOutcome.SKIPPED
        case Status.PASS:
            return None


def junit_type(severity: Severity | None, status: Status) -> str | None:
    """The `type` attribute of a <failure> (the rule's severity, empty when the rule is missing
    from the result) or of an <error> (`not-checked`); None for the other outcomes."""
    match junit_outcome(status):
        case JUnitOutcome.FAILURE:
            return severity.value if severity else ""
        case JUnitOutcome.ERROR:
            return "not-checked"
        case _:
            return None
