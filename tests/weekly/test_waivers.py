"""Waivers and exclusions: loading (file:line errors), applying (active, pending, expired,
stale), counts before/after, and their trace in SARIF, HTML and the console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jsonschema
import pytest

from reports.console import render_console
from reports.html import render_html
from reports.sarif import sarif_log
from scanner.models import Exclusion, SourceLocation, Status, WaiverState
from scanner.waivers import (
    apply_policy,
    apply_waivers,
    expiring,
    load_waivers,
    unwaive,
    waiver_counts,
)
from scanner.yamlsrc import SourceError
from tests.reports.sample import make_sample_result
from tests.sarif_schema import sarif_schema

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = sarif_schema()  # with the OASIS errata: suppressions have a `status`

WAIVERS = """\
rempart: 1
waivers:
  - id: W-1
    rule: TLS-PROTO-002
    hosts: [mail]
    justification: Legacy MTA <b>replaced</b> in Q2
    approver: Jane Roe (CISO)
    start: 2025-01-01
    expires: 2025-06-30
    risk: medium
  - id: W-2
    rule: CERT-TRUST-001
    services: ["legacy-api:8443"]
    justification: internal CA
    approver: John Doe
    start: 2024-01-01
    expires: 2025-01-31
    risk: high
  - id: W-3
    rule: TLS-PROTO-003
    hosts: ["*"]
    justification: nothing fails it
    approver: John Doe
    start: 2025-01-01
    expires: 2025-12-31
    risk: low
  - id: W-4
    rule: TLS-PROTO-001
    hosts: [legacy-api]
    justification: not yet
    approver: John Doe
    start: 2025-04-01
    expires: 2025-12-31
    risk: low
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def test_states_and_what_each_waiver_does(tmp_path: Path) -> None:
    result = apply_waivers(make_sample_result(), load_waivers(write(tmp_path, WAIVERS)))
    states = {w.id: w.state for w in result.waivers}
    assert states == {"W-1": WaiverState.ACTIVE, "W-2": WaiverState.EXPIRED,
                      "W-3": WaiverState.STALE, "W-4": WaiverState.PENDING}
    got = {(r.rule_id, r.service): (r.status, r.waiver) for r in result.results}
    assert got["TLS-PROTO-002", "mail:25/smtp"] == (Status.WAIVED, "W-1")
    assert got["TLS-PROTO-002", "legacy-api:8443/tls"] == (Status.FAIL, None)  # other host
    assert got["CERT-TRUST-001", "legacy-api:8443/tls"] == (Status.FAIL, None)  # expired
    assert got["TLS-PROTO-001", "legacy-api:8443/tls"] == (Status.FAIL, None)  # pending
    expired = next(w for w in result.waivers if w.id == "W-2")
    assert expired.matched == ("legacy-api:8443/tls",)  # reported with what it would cover
    assert unwaive(result).results == make_sample_result().results


def test_counts_before_and_after_waivers(tmp_path: Path) -> None:
    result = apply_waivers(make_sample_result(), load_waivers(write(tmp_path, WAIVERS)))
    counts = waiver_counts(result.results)
    assert counts.after[Status.WAIVED] == 1
    assert counts.before[Status.FAIL] == counts.after[Status.FAIL] + 1
    assert counts.before[Status.WAIVED] == 0
    assert counts.score_after is not None and counts.score_before is not None
    assert counts.score_after > counts.score_before


def test_expiring_soon_is_relative_to_the_day(tmp_path: Path) -> None:
    result = apply_waivers(make_sample_result(), load_waivers(write(tmp_path, WAIVERS)))
    assert expiring(result, today=dt.date(2025, 6, 20)) == tuple(
        w for w in result.waivers if w.id in ("W-1",))
    assert expiring(result, today=dt.date(2025, 3, 3)) == ()


@pytest.mark.parametrize(("change", "where"), [
    (("    expires: 2025-06-30\n", "    expiration_date: 2025-06-30\n"),
     ":9:5: waivers[0].expiration_date: unknown field"),
    (("    expires: 2025-06-30\n", "    expires: 30/06/2025\n"),
     ":9:14: waivers[0].expires: expected a date like 2027-01-31"),
    (("    expires: 2025-06-30\n", "    expires: 2024-06-30\n"),
     ":9:14: waivers[0].expires: expected a date on or after start"),
    (("    hosts: [mail]\n", ""), ":3:5: waivers[0]: expected a waiver with 'hosts'"),
    (("id: W-2", "id: W-1"), ":11:9: waivers[1].id: duplicate waiver ID 'W-1'"),
    (("risk: medium", "risk: acceptable"), ":10:11: waivers[0].risk: expected one of"),
    (("rule: TLS-PROTO-002", "rule: NOPE-001"), ":4:11: waivers[0].rule: unknown rule NOPE-001"),
])
def test_bad_waiver_files_say_file_line_field(tmp_path: Path, change: tuple[str, str],
                                              where: str) -> None:
    path = write(tmp_path, WAIVERS.replace(*change))
    known = {r.id for r in make_sample_result().rules}
    with pytest.raises(SourceError) as info:
        load_waivers(path, known)
    assert str(info.value).startswith(str(path) + where), str(info.value)


def _policy_result(tmp_path: Path):  # type: ignore[no-untyped-def]
    exclusions = (
        Exclusion(rule_id="CERT-SIG-001", reason="legacy appliance", by="pack",
                  location=SourceLocation(file="my-pack.yaml", line=12)),
        Exclusion(rule_id="TLS-CIPH-001", reason="--skip-rule on the command line",
                  by="skip-rule"),
    )
    return apply_policy(make_sample_result(), exclusions, load_waivers(write(tmp_path, WAIVERS)))


def test_sarif_suppression_exclusions_and_notifications(tmp_path: Path) -> None:
    log = sarif_log(_policy_result(tmp_path), base_dir=tmp_path)
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    waived = [r for r in run["results"] if "suppressions" in r]
    assert len(waived) == 1 and waived[0]["ruleId"] == "TLS-PROTO-002"
    sup = waived[0]["suppressions"][0]
    assert sup["status"] == "accepted" and sup["kind"] == "external"
    assert sup["justification"] == "Legacy MTA <b>replaced</b> in Q2"
    assert sup["properties"]["approver"] == "Jane Roe (CISO)"
    assert sup["properties"]["expires"] == "2025-06-30"
    assert waived[0]["kind"] == "fail" and waived[0]["properties"]["status"] == "waived"
    inv = run["invocations"][0]
    assert [o["descriptor"]["id"] for o in inv["ruleConfigurationOverrides"]] == [
        "CERT-SIG-001", "TLS-CIPH-001"]
    assert all(o["configuration"]["enabled"] is False for o in inv["ruleConfigurationOverrides"])
    notes = {n["properties"]["waiver"]: n["properties"]["state"]
             for n in inv["toolConfigurationNotifications"]}
    assert notes == {"W-2": "expired", "W-3": "stale", "W-4": "pending"}
    assert inv["properties"]["countsBeforeWaivers"]["waived"] == 0


def test_html_section_with_approver_and_expiry(tmp_path: Path) -> None:
    html = render_html(_policy_result(tmp_path), lang="en")
    section = html[html.index('<section id="waivers"'):]
    section = section[:section.index("</section>")]
    assert "Jane Roe (CISO)" in section and "June 30, 2025" in section
    assert "Legacy MTA &lt;b&gt;replaced&lt;/b&gt; in Q2" in section  # escaped
    assert "Expired (no longer applied)" in section and "Stale" in section
    assert "CERT-SIG-001" in section and "my-pack.yaml:12" in section
    assert "Before waivers" in section and "After waivers" in section
    assert 'href="#waivers"' in html
    fr = render_html(_policy_result(tmp_path), lang="fr")
    assert "Risques acceptés et exclusions" in fr and "30 juin 2025" in fr


def test_console_counts_before_and_after(tmp_path: Path) -> None:
    text = render_console(_policy_result(tmp_path), width=160)
    assert "Before waivers: " in text and "After waivers:  " in text
    assert "1 waived" in text
    assert "Waiver W-2 [expired]" in text and "Waiver W-3 [stale]" in text
    assert "Excluded rule CERT-SIG-001 (pack at my-pack.yaml:12): legacy appliance" in text
    assert "Excluded rule TLS-CIPH-001 (skip-rule)" in text
