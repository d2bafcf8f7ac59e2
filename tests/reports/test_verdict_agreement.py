"""Console, HTML, SARIF and the exit status tell the same verdict on every mix of statuses.

Each case is a real result (the shared sample) cut down to one result per status of the mix;
each output is rendered by its formatter and read back the way a user would read it; the exit
status comes from `rempart report` run on the saved JSON.
"""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.console import render_console
from reports.html import render_html
from reports.json_report import render_json
from reports.sarif import sarif_log
from scanner.cli import main
from scanner.models import RuleResult, ScanResult, Severity, Status
from tests.reports.sample import make_sample_result

MIXES = [mix for n in range(len(Status) + 1) for mix in combinations(Status, n)]


def expected(mix: tuple[Status, ...]) -> str:
    """The rule, written out independently of scanner.verdict."""
    if Status.FAIL in mix:
        return "non_compliant"
    checked = Status.PASS in mix or Status.WAIVED in mix  # a waived failure was checked
    if Status.ERROR in mix or not checked:  # an error, or nothing checked at all
        return "incomplete"
    return "compliant"


def _result_with(mix: tuple[Status, ...]) -> ScanResult:
    """One result per status of `mix` (a sample result of that status, else one restated)."""
    sample = make_sample_result()
    def one(status: Status) -> RuleResult:
        if status is Status.WAIVED:  # a failure an active waiver accepts
            failed = next(r for r in sample.results if r.status is Status.FAIL)
            return failed.model_copy(update={"status": Status.WAIVED, "waiver": "W-1"})
        return next(r for r in sample.results if r.status is status)

    picked = [one(status) for status in mix]
    return sample.model_copy(update={"results": tuple(picked)})


CONSOLE_WORD = {"FAIL": "non_compliant", "INCOMPLETE": "incomplete", "PASS": "compliant"}
EXIT_VERDICT = {1: "non_compliant", 3: "incomplete", 0: "compliant"}


@pytest.mark.parametrize("mix", MIXES, ids=lambda m: "+".join(s.value for s in m) or "none")
def test_every_output_agrees(mix: tuple[Status, ...], tmp_path: Path) -> None:
    result = _result_with(mix)
    assert sorted(r.status for r in result.results) == sorted(mix)
    want = expected(mix)

    last = render_console(result).splitlines()[-1]
    word = re.fullmatch(r"Verdict: (\w+) \(.*\)", last)
    assert word, last
    assert CONSOLE_WORD[word.group(1)] == want

    for lang in ("en", "fr"):
        html = render_html(result, lang=lang)
        assert re.findall(r'class="verdict-chip verdict-(\w+)"', html) == [want]
        assert re.findall(r'<div class="verdict verdict-(\w+)">', html) == [want]

    run = sarif_log(result, base_dir=tmp_path)["runs"][0]
    assert run["properties"]["rempart/verdict"] == want

    saved = tmp_path / "result.json"
    saved.write_text(render_json(result), encoding="utf-8")
    out = CliRunner().invoke(main, ["report", str(saved), "--fail-on", "info"])
    assert EXIT_VERDICT[out.exit_code] == want, out.output


def test_failures_below_fail_on_do_not_fail_the_gate(tmp_path: Path) -> None:
    sample = make_sample_result()
    low = {r.id for r in sample.rules if r.severity is Severity.INFO}
    info_fail = next(r for r in sample.results if r.status is Status.FAIL and r.rule_id in low)
    passed = next(r for r in sample.results if r.status is Status.PASS)
    saved = tmp_path / "result.json"
    saved.write_text(render_json(sample.model_copy(update={"results": (info_fail, passed)})),
                     encoding="utf-8")
    gated = CliRunner().invoke(main, ["report", str(saved), "--fail-on", "low"])
    assert gated.exit_code == 0, gated.output
    everything = CliRunner().invoke(main, ["report", str(saved), "--fail-on", "info"])
    assert everything.exit_code == 1, everything.output
    # the reports still say non-compliant: the gate decides the exit status only
    saved_json = json.loads(saved.read_text(encoding="utf-8"))
    assert saved_json["results"][0]["status"] == "fail"
    assert render_console(sample).splitlines()[-1].startswith("Verdict: FAIL")
