"""The decisions of the baseline gate (scanner/gate.py) and of the scan diff
(scanner/history/diff.py), one by one and without a server: which findings a baseline knows,
the exit status once they are set aside, and each kind of change (new, fixed, still failing,
changed) with its severity, message, age and deadline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reports.json_report import render_json
from scanner.gate import findings, load_baseline, new_findings_exit
from scanner.history.diff import Change, DiffEntry, diff_scans, first_seen, text_of
from scanner.history.store import open_store
from scanner.models import (
    Evidence,
    FlagValue,
    Message,
    MessageKey,
    Operations,
    RuleResult,
    ScanResult,
    Severity,
    Status,
    Unknown,
)
from scanner.verdict import ExitCode
from tests.reports.sample import make_sample_result

P, F, E, NA, W = Status.PASS, Status.FAIL, Status.ERROR, Status.NOT_APPLICABLE, Status.WAIVED
CRIT, HIGH, MED, LOW, INFO = ("TLS-PROTO-001", "TLS-PROTO-002", "TLS-CIPH-002", "TLS-GROUP-002",
                              "CE-TLS13-001")  # the sample's rules, by severity
WEB, MAIL = "portal:443/https", "mail:25/smtp"
DAY = dt.timedelta(days=1)


def rr(rule: str, service: str, status: Status, text: str = "",
       evidence: tuple[Evidence, ...] = ()) -> RuleResult:
    return RuleResult(rule_id=rule, service=service, status=status, evidence=evidence,
                      message=Message(key=MessageKey.LEGACY,
                                      text=text or f"{rule} {status.value}"),
                      waiver="W-1" if status is W else None)


def scan(*results: RuleResult, days: int = 0, remediation: dict[Severity, int] | None = None
         ) -> ScanResult:
    base = make_sample_result()
    inv = base.inventory.model_copy(update={"operations": Operations(
        remediation_days=remediation or {})})
    return base.model_copy(update={"results": results, "inventory": inv,
                                   "started_at": base.started_at + days * DAY})


# ---- the baseline gate ---------------------------------------------------------------------

def test_a_baseline_knows_failures_and_waived_failures_only() -> None:
    base = scan(rr(CRIT, WEB, F), rr(HIGH, WEB, W), rr(MED, WEB, E), rr(LOW, WEB, P),
                rr(INFO, WEB, NA), rr(CRIT, MAIL, F))
    assert findings(base) == {(CRIT, WEB), (HIGH, WEB), (CRIT, MAIL)}
    assert findings(scan()) == set()


def test_known_failures_pass_the_gate_and_are_counted() -> None:
    now = scan(rr(CRIT, WEB, F), rr(HIGH, MAIL, F), rr(MED, WEB, P))
    assert new_findings_exit(now, now, Severity.LOW) == (ExitCode.OK, 2)
    assert new_findings_exit(now, scan(), Severity.LOW) == (ExitCode.FAILED, 0)


def test_a_finding_waived_in_the_baseline_is_known() -> None:
    now = scan(rr(CRIT, WEB, F))
    assert new_findings_exit(now, scan(rr(CRIT, WEB, W)), Severity.LOW) == (ExitCode.OK, 1)


@pytest.mark.parametrize("status", [P, E, NA])
def test_what_was_not_a_finding_in_the_baseline_is_new(status: Status) -> None:
    now = scan(rr(CRIT, WEB, F))
    assert new_findings_exit(now, scan(rr(CRIT, WEB, status)), Severity.LOW) == \
        (ExitCode.FAILED, 0)


def test_a_finding_is_its_rule_on_its_service() -> None:
    now = scan(rr(CRIT, WEB, F), rr(HIGH, MAIL, F))
    base = scan(rr(CRIT, MAIL, F), rr(HIGH, WEB, F))  # same rules, other services
    assert new_findings_exit(now, base, Severity.LOW) == (ExitCode.FAILED, 0)
    half = scan(rr(CRIT, WEB, F))
    assert new_findings_exit(now, half, Severity.LOW) == (ExitCode.FAILED, 1)


def test_errors_still_make_the_scan_incomplete() -> None:
    now = scan(rr(CRIT, WEB, F), rr(HIGH, MAIL, E))
    assert new_findings_exit(now, now, Severity.LOW) == (ExitCode.INCOMPLETE, 1)


def test_waived_results_now_are_not_counted_as_matched() -> None:
    now = scan(rr(CRIT, WEB, W), rr(HIGH, MAIL, F))
    assert new_findings_exit(now, now, Severity.LOW) == (ExitCode.OK, 1)


def test_fail_on_applies_to_the_new_findings() -> None:
    now = scan(rr(CRIT, WEB, F), rr(LOW, MAIL, F))
    base = scan(rr(CRIT, WEB, F))
    assert new_findings_exit(now, base, Severity.LOW) == (ExitCode.FAILED, 1)
    assert new_findings_exit(now, base, Severity.MEDIUM) == (ExitCode.OK, 1)
    assert new_findings_exit(now, scan(), Severity.CRITICAL) == (ExitCode.FAILED, 0)


def test_the_result_itself_is_left_alone() -> None:
    now = scan(rr(CRIT, WEB, F))
    new_findings_exit(now, now, Severity.LOW)
    assert now.results[0].status is F


def test_a_baseline_from_a_file_or_from_the_history(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from_file = scan(rr(CRIT, WEB, F))
    from_db = scan(rr(HIGH, MAIL, F))
    Path("base.json").write_text(render_json(from_file))
    assert findings(load_baseline("base.json")) == {(CRIT, WEB)}
    Path("2").write_text(render_json(from_file))  # a file named like a scan ID wins
    db = str(tmp_path / "h.sqlite")
    with open_store(db) as store:
        assert store.save(from_db) == 1
        assert store.save(from_db) == 2
    assert findings(load_baseline("1", db)) == {(HIGH, MAIL)}
    assert findings(load_baseline("2", db)) == {(CRIT, WEB)}
    with pytest.raises(FileNotFoundError):
        load_baseline("missing.json", db)


# ---- the diff of two scans -----------------------------------------------------------------

CASES = [  # old status (None: absent), new status, change (None: not listed)
    (None, F, Change.NEW), (None, W, Change.NEW), (P, F, Change.NEW), (E, F, Change.NEW),
    (NA, W, Change.NEW),
    (F, P, Change.FIXED), (W, P, Change.FIXED), (F, NA, Change.FIXED), (W, NA, Change.FIXED),
    (F, E, Change.CHANGED), (W, E, Change.CHANGED), (F, None, Change.CHANGED),  # not proven fixed
    (W, None, Change.CHANGED),
    (F, F, Change.STILL_FAILING), (W, W, Change.STILL_FAILING),
    (F, W, Change.CHANGED), (W, F, Change.CHANGED),
    (None, P, None), (P, P, None), (E, E, None), (P, E, None), (NA, P, None), (E, None, None),
    (None, E, None), (None, NA, None),
]


@pytest.mark.parametrize(("old", "new", "change"), CASES)
def test_each_kind_of_change(old: Status | None, new: Status | None,
                             change: Change | None) -> None:
    a = scan(*([rr(HIGH, WEB, old)] if old else []))
    b = scan(*([rr(HIGH, WEB, new)] if new else []), days=7)
    got = diff_scans(a, b)
    if change is None:
        assert got == []
        return
    [entry] = got
    assert (entry.change, entry.old, entry.new) == (change, old, new)
    assert (entry.rule_id, entry.service, entry.severity) == (HIGH, WEB, Severity.HIGH)


def evidence(actual: bool | None, unknown: Unknown | None = None) -> Evidence:
    return Evidence(fact="tls.offered", operator="equals",
                    actual=None if actual is None else FlagValue(flag=actual), unknown=unknown)


@pytest.mark.parametrize(("before", "after", "change"), [
    ((evidence(True),), (evidence(True),), Change.STILL_FAILING),
    ((evidence(True),), (evidence(False),), Change.CHANGED),  # another value
    ((evidence(None, Unknown.FACT_ERROR),), (evidence(None, Unknown.FACT_MISSING),),
     Change.CHANGED),  # another reason it is unknown
    ((evidence(True),), (evidence(True), evidence(True)), Change.CHANGED),
])
def test_still_failing_means_the_same_evidence(before: tuple[Evidence, ...],
                                               after: tuple[Evidence, ...],
                                               change: Change) -> None:
    a = scan(rr(HIGH, WEB, F, "was", before))
    b = scan(rr(HIGH, WEB, F, "is", after))
    assert [e.change for e in diff_scans(a, b)] == [change]


def test_messages_come_from_the_scan_that_shows_the_finding() -> None:
    a = scan(rr(CRIT, WEB, F, "old crit"), rr(HIGH, WEB, F, "old high"),
             rr(MED, WEB, F, "old med"))
    b = scan(rr(CRIT, WEB, P, "new crit"), rr(HIGH, WEB, F, "new high"),
             rr(LOW, WEB, F, "new low"))
    got = {e.rule_id: (e.change, e.message) for e in diff_scans(a, b)}
    assert got == {
        LOW: (Change.NEW, "new low"),
        CRIT: (Change.FIXED, "old crit"),  # what was wrong, not "passes"
        HIGH: (Change.STILL_FAILING, "new high"),
        MED: (Change.CHANGED, "old med"),  # gone: the last words about it
    }
    assert text_of(b.results[0]) == "new crit"


def test_a_fixed_finding_is_worded_with_the_old_scan() -> None:
    """The message of a fixed finding whose fact failed reads that fact's reason from the scan
    that had it (the old one), not from the new one."""
    base = make_sample_result()
    errored = next(r for r in base.results if r.status is E)
    key = (errored.rule_id, errored.service)
    old = base.model_copy(update={"results": (errored.model_copy(update={"status": F}),)})
    fixed = errored.model_copy(update={"status": P, "evidence": ()})
    new = base.model_copy(update={"results": (fixed,), "services": ()})
    [entry] = diff_scans(old, new)
    assert (entry.change, (entry.rule_id, entry.service)) == (Change.FIXED, key)
    assert entry.message == text_of(old.results[0], old)
    assert entry.message != text_of(old.results[0], new)


def test_order_new_fixed_still_changed_then_severity_service_rule() -> None:
    a = scan(rr(LOW, WEB, F), rr(CRIT, MAIL, F), rr(HIGH, WEB, F), rr(HIGH, MAIL, F),
             rr(MED, MAIL, F))
    b = scan(rr(LOW, WEB, P), rr(CRIT, MAIL, P), rr(HIGH, WEB, F), rr(HIGH, MAIL, F),
             rr(MED, MAIL, E), rr(INFO, WEB, F), rr(MED, WEB, F), rr(CRIT, WEB, F),
             rr("ZZZ-001", WEB, F))
    got = [(e.change, e.rule_id, e.service) for e in diff_scans(a, b)]
    assert got == [
        (Change.NEW, CRIT, WEB), (Change.NEW, MED, WEB), (Change.NEW, INFO, WEB),
        (Change.NEW, "ZZZ-001", WEB),  # a rule missing from both scans: info
        (Change.FIXED, CRIT, MAIL), (Change.FIXED, LOW, WEB),
        (Change.STILL_FAILING, HIGH, MAIL), (Change.STILL_FAILING, HIGH, WEB),
        (Change.CHANGED, MED, MAIL),
    ]
    assert next(e for e in diff_scans(a, b) if e.rule_id == "ZZZ-001").severity is \
        Severity.INFO


def test_same_severity_and_service_sort_by_rule() -> None:
    b = scan(rr(HIGH, WEB, F), rr("CERT-TRUST-001", WEB, F))  # both high
    assert [e.rule_id for e in diff_scans(scan(), b)] == ["CERT-TRUST-001", HIGH]


def test_severity_of_a_rule_known_only_to_the_old_scan() -> None:
    old = scan(rr(HIGH, WEB, F))
    new = scan(rr(HIGH, WEB, P)).model_copy(update={"rules": ()})
    assert [e.severity for e in diff_scans(old, new)] == [Severity.HIGH]
    gone = scan(rr(HIGH, WEB, F)).model_copy(update={"rules": ()})
    assert [e.severity for e in diff_scans(gone, scan(rr(HIGH, WEB, F)))] == [Severity.HIGH]


# ---- first seen, age and deadline ----------------------------------------------------------

def test_first_seen_is_the_start_of_the_current_run_of_open_scans() -> None:
    scans = [scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), days=0),
             scan(rr(HIGH, WEB, W), rr(CRIT, WEB, P), days=7),  # waived: still open
             scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), days=14),
             scan(rr(HIGH, WEB, F), rr(CRIT, WEB, E), rr(MED, WEB, F), days=21)]
    assert first_seen(scans) == {(HIGH, WEB): scans[0].started_at,
                                 (MED, WEB): scans[3].started_at}
    assert first_seen(scans[:3]) == {(HIGH, WEB): scans[0].started_at,
                                     (CRIT, WEB): scans[2].started_at}
    assert first_seen([]) == {}


@pytest.mark.parametrize(("days", "due_in", "overdue"), [
    (13, 1, False), (14, 0, False),  # due today: not yet overdue
    (15, -1, True),
])
def test_age_due_date_and_overdue(days: int, due_in: int, overdue: bool) -> None:
    ops = {Severity.HIGH: 14}
    old = scan(rr(HIGH, WEB, F), remediation=ops)
    new = scan(rr(HIGH, WEB, F), days=days, remediation=ops)
    [entry] = diff_scans(old, new)
    assert entry == DiffEntry(
        change=Change.STILL_FAILING, rule_id=HIGH, service=WEB, severity=Severity.HIGH,
        old=F, new=F, message=f"{HIGH} fail", first_seen=old.started_at, age_days=days,
        due=new.started_at.date() + due_in * DAY, overdue=overdue)


def test_no_deadline_for_the_severity_means_never_overdue() -> None:
    old = scan(rr(MED, WEB, F), remediation={Severity.HIGH: 1})
    new = scan(rr(MED, WEB, F), days=400, remediation={Severity.HIGH: 1})
    [entry] = diff_scans(old, new)
    assert (entry.age_days, entry.due, entry.overdue) == (400, None, False)


def test_a_deadline_of_zero_days_is_due_the_day_it_is_found() -> None:
    ops = {Severity.HIGH: 0}
    [entry] = diff_scans(scan(remediation=ops), scan(rr(HIGH, WEB, F), days=3, remediation=ops))
    assert (entry.change, entry.age_days, entry.overdue) == (Change.NEW, 0, False)
    assert entry.due == entry.first_seen.date() if entry.first_seen else False


def test_the_history_dates_findings_and_closed_ones_have_no_age() -> None:
    ops = {Severity.HIGH: 7, Severity.CRITICAL: 30}
    first = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), remediation=ops)
    old = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), days=7, remediation=ops)
    new = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, P), rr(MED, WEB, F), days=14,
               remediation=ops)
    got = {e.rule_id: e for e in diff_scans(old, new, [first, old, new])}
    assert (got[HIGH].first_seen, got[HIGH].age_days, got[HIGH].overdue) == \
        (first.started_at, 14, True)
    assert got[HIGH].due == first.started_at.date() + 7 * DAY
    assert (got[CRIT].first_seen, got[CRIT].age_days, got[CRIT].due, got[CRIT].overdue) == \
        (None, None, None, False)  # fixed
    assert (got[MED].first_seen, got[MED].age_days) == (new.started_at, 0)
    alone = {e.rule_id: e for e in diff_scans(old, new)}  # without history: the two scans
    assert (alone[HIGH].first_seen, alone[HIGH].age_days, alone[HIGH].overdue) == \
        (old.started_at, 7, False)


def test_a_finding_gone_from_the_new_scan_has_no_age() -> None:
    ops = {Severity.HIGH: 1}
    [entry] = diff_scans(scan(rr(HIGH, WEB, F), remediation=ops),
                         scan(rr(HIGH, WEB, E), days=30, remediation=ops))
    assert (entry.change, entry.first_seen, entry.age_days, entry.due, entry.overdue) == \
        (Change.CHANGED, None, None, None, False)


def test_rule_and_service_pairs_without_a_finding_are_skipped_not_the_end() -> None:
    a = scan(rr("AAA-000", WEB, P), rr(HIGH, WEB, F))  # sorts first, open in neither scan
    b = scan(rr("AAA-000", WEB, P), rr(HIGH, WEB, P), rr(LOW, WEB, F))
    assert [(e.rule_id, e.change) for e in diff_scans(a, b)] == [
        (LOW, Change.NEW), (HIGH, Change.FIXED)]


def test_a_history_that_stops_before_the_new_scan_dates_only_what_it_saw() -> None:
    ops = {Severity.HIGH: 1, Severity.LOW: 1}
    first = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), remediation=ops)
    old = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, F), days=7, remediation=ops)
    new = scan(rr(HIGH, WEB, F), rr(CRIT, WEB, P), rr(LOW, WEB, F), days=14,
               remediation=ops)
    got = {e.rule_id: e for e in diff_scans(old, new, [first, old])}
    assert (got[HIGH].first_seen, got[HIGH].age_days, got[HIGH].overdue) == \
        (first.started_at, 14, True)
    for rule in (CRIT, LOW):  # fixed; new and not in the history given
        assert (got[rule].first_seen, got[rule].age_days, got[rule].due,
                got[rule].overdue) == (None, None, None, False), rule


def test_an_entry_that_is_not_fixed_is_worded_with_the_new_scan() -> None:
    """A failure that could not be checked this time (changed): its message reads the failed
    fact's reason from the new scan."""
    base = make_sample_result()
    errored = next(r for r in base.results if r.status is E)
    old = base.model_copy(update={"results": (errored.model_copy(update={"status": F}),),
                                  "services": ()})
    new = base.model_copy(update={"results": (errored,)})
    [entry] = diff_scans(old, new)
    assert entry.change is Change.CHANGED
    assert entry.message == text_of(errored, new)
    assert entry.message != text_of(errored, old)
