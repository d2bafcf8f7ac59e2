"""How each output names a rule's severity: one place, pinned by tests/reports/test_levels.py.

Written as `match` statements rather than dict constants so that mutation testing (which mutates
function bodies) reaches every mapping.
"""

from __future__ import annotations

from scanner.models import Severity


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
