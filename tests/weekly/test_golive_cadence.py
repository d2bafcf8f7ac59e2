"""The weekly cadence rule (REQ-OPS-01) and the go-live gate (REQ-OPS-02 freeze windows with
declared exceptions, REQ-OPS-05 prerequisites)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.formats import ReportFormat, render
from reports.json_report import render_json
from reports.wording import Wording
from scanner.cli import main
from scanner.golive import freeze_check, prerequisites_check
from scanner.history.cadence import RULE_ID, judge_cadence, with_cadence
from scanner.history.store import open_store
from scanner.models import (
    FreezeWindow,
    GoLiveException,
    Message,
    MessageKey,
    NumberValue,
    Operations,
    RuleResult,
    ScanResult,
    Status,
)
from tests.reports.sample import make_sample_result

DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("offsets", "expected"), [
    ([0, 7, 14, 21], Status.PASS),
    ([0, 7, 15, 22], Status.FAIL),  # one 8-day gap
    ([0], Status.NOT_APPLICABLE),  # the first scan: nothing to judge yet
    ([-400, 0, 6], Status.PASS),  # gaps before the audit period do not count
])
def test_cadence(offsets: list[int], expected: Status) -> None:
    times = [T0 + n * DAY for n in offsets]
    status, message, evidence, _ = judge_cadence(times, 7, times[-1])
    assert status is expected, message
    if expected is Status.FAIL:
        gap = evidence[0]
        assert [o.value for o in gap.decisive] == ["2026-01-12 → 2026-01-20"]
        assert gap.actual == NumberValue(number=8.0)
        assert gap.expected == NumberValue(number=7) and gap.operator == "at_most"
        assert "at most 7; found 8" in Wording("en").line(gap)


def test_cadence_is_a_rule_result_of_the_estate() -> None:
    sample = make_sample_result()
    result = with_cadence(sample, [sample.started_at - 10 * DAY])
    rr = next(r for r in result.results if r.rule_id == RULE_ID)
    assert rr.status is Status.FAIL and rr.service == "estate/estate"
    assert result.rule(RULE_ID).requirements == ("REQ-OPS-01",)
    assert any(p.id == "rempart-history" for p in result.packs)
    for fmt in ReportFormat:  # every text report renders the estate subject
        if fmt is ReportFormat.PDF:
            continue
        text = render(fmt, result, base_dir=Path.cwd())
        assert RULE_ID in text, fmt


def test_interval_from_the_inventory() -> None:
    sample = make_sample_result()
    inv = sample.inventory.model_copy(update={"operations": Operations(scan_interval_days=14)})
    result = with_cadence(sample.model_copy(update={"inventory": inv}),
                          [sample.started_at - 10 * DAY])
    assert next(r for r in result.results if r.rule_id == RULE_ID).status is Status.PASS


@pytest.mark.parametrize(("day", "passed"), [
    ("2026-12-24", True), ("2026-12-25", False), ("2027-01-07", False), ("2027-01-08", True),
    ("2026-01-03", False),  # first week of a year
])
def test_default_freeze(day: str, passed: bool) -> None:
    check = freeze_check(dt.date.fromisoformat(day), Operations())
    assert check.passed is passed, check.lines


def test_freeze_windows_and_exceptions_from_the_inventory() -> None:
    ops = Operations(freeze_windows=(FreezeWindow(start=dt.date(2026, 8, 1),
                                                  end=dt.date(2026, 8, 15), name="summer"),),
                     go_live_exceptions=(GoLiveException(
                         go_live=dt.date(2026, 8, 10), approver="Jane Roe (CTO)",
                         reason="regulatory deadline"),))
    assert freeze_check(dt.date(2026, 12, 28), ops).passed  # the default freeze is replaced
    refused = freeze_check(dt.date(2026, 8, 3), ops)
    assert not refused.passed and "summer (2026-08-01 to 2026-08-15)" in refused.lines[0]
    allowed = freeze_check(dt.date(2026, 8, 10), ops)
    assert allowed.passed and "Jane Roe (CTO)" in allowed.lines[0]


def _with_prerequisite(status: Status) -> ScanResult:
    sample = make_sample_result()
    rule = sample.rules[0].model_copy(update={"id": "OPS-BACKUP-001",
                                              "requirements": ("REQ-OPS-05",)})
    rr = RuleResult(rule_id="OPS-BACKUP-001", service="portal:443/https", status=status,
                    message=Message(key=MessageKey.CHECKED))
    return sample.model_copy(update={"rules": (*sample.rules, rule),
                                     "results": (*sample.results, rr)})


def test_prerequisites() -> None:
    assert not prerequisites_check(None).passed
    unchecked = prerequisites_check(make_sample_result())
    assert not unchecked.passed and "unchecked" in unchecked.lines[0]
    assert prerequisites_check(_with_prerequisite(Status.PASS)).passed
    assert not prerequisites_check(_with_prerequisite(Status.FAIL)).passed
    assert not prerequisites_check(_with_prerequisite(Status.ERROR)).passed


def test_gate_command(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    with open_store(db) as store:
        store.save(_with_prerequisite(Status.PASS))
    inv = tmp_path / "inventory.yaml"
    inv.write_text("rempart: 1\ncontract: {customer: C}\nscope: [127.0.0.0/8]\nhosts: []\n"
                   "operations:\n  go_live_exceptions:\n"
                   "    - {go_live: 2026-12-30, approver: Jane Roe, reason: legal deadline}\n")
    ok = CliRunner().invoke(main, ["gate", "--go-live", "2027-02-01", "--db", db])
    assert ok.exit_code == 0, ok.output
    frozen = CliRunner().invoke(main, ["gate", "--go-live", "2026-12-28", "--db", db])
    assert frozen.exit_code == 1
    assert "REFUSED" in frozen.output and "freeze window" in frozen.output
    assert "declared exception" in frozen.output
    excepted = CliRunner().invoke(main, ["gate", "--go-live", "2026-12-30", "--db", db,
                                         "--inventory", str(inv), "--result",
                                         str(_json(tmp_path, _with_prerequisite(Status.PASS)))])
    assert excepted.exit_code == 0, excepted.output
    assert "Jane Roe" in excepted.output
    failing = CliRunner().invoke(main, ["gate", "--go-live", "2027-02-01", "--result",
                                        str(_json(tmp_path, _with_prerequisite(Status.FAIL)))])
    assert failing.exit_code == 1 and "OPS-BACKUP-001" in failing.output
    bad = CliRunner().invoke(main, ["gate", "--go-live", "tomorrow", "--db", db])
    assert bad.exit_code == 2
    inv.write_text(inv.read_text().replace("2026-12-30", "30/12/2026"))
    bad_inv = CliRunner().invoke(main, ["gate", "--go-live", "2027-02-01", "--db", db,
                                        "--inventory", str(inv)])
    assert bad_inv.exit_code == 2 and "operations.go_live_exceptions[0].go_live" in \
        bad_inv.output


def _json(tmp_path: Path, result: ScanResult) -> Path:
    path = tmp_path / f"r{len(list(tmp_path.iterdir()))}.json"
    path.write_text(render_json(result))
    return path
