"""CI gates: failing only on findings that are not in a baseline."""

from __future__ import annotations

from pathlib import Path

from scanner.models import ScanResult, Severity, Status
from scanner.verdict import ExitCode, exit_code

Finding = tuple[str, str]  # (rule ID, service key): a finding's identity across scans


def findings(result: ScanResult) -> set[Finding]:
    """Failures, accepted (waived) ones included: what the baseline already knew about."""
    return {(r.rule_id, r.service) for r in result.results
            if r.status in (Status.FAIL, Status.WAIVED)}


def load_baseline(ref: str, db_url: str | None = None) -> ScanResult:
    """A JSON result file, or the ID of a scan stored in the history database."""
    path = Path(ref)
    if path.exists() or not ref.isdigit():
        from reports.json_report import load_json

        return load_json(path.read_bytes())
    from scanner.history.store import open_store

    with open_store(db_url) as store:
        return store.load(int(ref))


def new_findings_exit(result: ScanResult, baseline: ScanResult, fail_on: Severity
                      ) -> tuple[ExitCode, int]:
    """The exit status computed as if findings of the baseline had passed, and how many
    findings the baseline accounted for."""
    known = findings(baseline)
    kept = tuple(r.model_copy(update={"status": Status.PASS})
                 if r.status is Status.FAIL and (r.rule_id, r.service) in known else r
                 for r in result.results)
    matched = sum(1 for r in result.results
                  if r.status is Status.FAIL and (r.rule_id, r.service) in known)
    return exit_code(result.model_copy(update={"results": kept}), fail_on), matched
