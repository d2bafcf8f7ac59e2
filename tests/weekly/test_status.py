"""`rempart status`: the static status page and its Atom feeds, from a history the test builds
(a fix, a regression, a waiver expiring soon, a maintenance window); feeds parsed back with
feedparser; the page and the HTML report's new sections pass the Nu Html Checker, the report
with them axe-core too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from reports.html import render_html
from scanner.cli import main
from scanner.history.cadence import with_cadence
from scanner.history.status import State, state_of
from scanner.history.store import open_store
from scanner.history.summary import with_history
from scanner.models import (
    MaintenanceWindow,
    Operations,
    ScanResult,
    Severity,
    Status,
)
from scanner.waivers import apply_waivers, load_waivers
from tests.html import tools
from tests.reports.sample import make_sample_result

WEEK = dt.timedelta(days=7)
WAIVER = """\
rempart: 1
waivers:
  - id: W-SOON
    rule: TLS-CIPH-002
    hosts: [mail]
    justification: relay replaced next month
    approver: Jane Roe (CISO)
    start: 2025-01-01
    expires: 2025-03-20
    risk: medium
"""


def _set(result: ScanResult, key: tuple[str, str], status: Status) -> ScanResult:
    return result.model_copy(update={"results": tuple(
        r.model_copy(update={"status": status}) if (r.rule_id, r.service) == key else r
        for r in result.results)})


def build_history(tmp_path: Path) -> tuple[str, list[ScanResult]]:
    """Three weekly scans: TLS 1.0 on mail fixed in the 2nd, the portal's TLS-PROTO-001
    regresses in the 3rd (critical), a waiver expires 17 days after the 3rd scan."""
    base = make_sample_result()
    window = MaintenanceWindow(start=base.started_at + 2 * WEEK - dt.timedelta(hours=1),
                               end=base.started_at + 2 * WEEK + dt.timedelta(hours=3),
                               hosts=("legacy-api",), title="certificate renewal")
    inv = base.inventory.model_copy(update={"operations": Operations(maintenance=(window,))})
    first = base.model_copy(update={"started_at": base.started_at - WEEK})
    second = _set(base, ("TLS-PROTO-002", "mail:25/smtp"), Status.PASS)
    third = _set(second, ("TLS-PROTO-001", "portal:443/https"), Status.FAIL)
    third = third.model_copy(update={"started_at": base.started_at + 2 * WEEK,
                                     "inventory": inv})
    (tmp_path / "w.yaml").write_text(WAIVER)
    third = apply_waivers(third, load_waivers(tmp_path / "w.yaml"))
    db = str(tmp_path / "h.sqlite")
    scans = [first, second, third]
    with open_store(db) as store:
        for result in scans:
            timeline = store.timeline("inventory.yaml")
            result = with_cadence(result, [e.started_at for e in timeline])
            store.save(with_history(result, timeline))
    return db, scans


def test_states() -> None:
    base = make_sample_result()
    by_key = {s.service.key: s.service for s in base.services}
    assert state_of(base, by_key["portal:443/https"]) is State.MINOR  # a medium failure
    severities = {r.id: r.severity for r in base.rules}
    assert severities["TLS-PROTO-001"] is Severity.CRITICAL
    assert state_of(base, by_key["legacy-api:8443/tls"]) is State.NOT_OPERATIONAL
    fixed = base.model_copy(update={"results": tuple(
        r.model_copy(update={"status": Status.PASS}) if r.service == "portal:443/https"
        else r for r in base.results)})
    assert state_of(fixed, by_key["portal:443/https"]) is State.OPERATIONAL
    unreachable = base.model_copy(update={"results": tuple(
        r.model_copy(update={"status": Status.ERROR}) if r.service == "portal:443/https"
        else r for r in base.results)})
    assert state_of(unreachable, by_key["portal:443/https"]) is State.NOT_OPERATIONAL
    window = MaintenanceWindow(start=base.started_at, end=base.started_at + WEEK,
                               hosts=("portal",))
    assert state_of(base, by_key["portal:443/https"], (window,)) is State.MAINTENANCE


def test_status_page_and_feeds(tmp_path: Path) -> None:
    db, _ = build_history(tmp_path)
    out = tmp_path / "site"
    run = CliRunner().invoke(main, ["status", "--out", str(out), "--db", db])
    assert run.exit_code == 0, run.output
    estate = feedparser.parse((out / "feed.atom").read_bytes())
    assert not estate.bozo, estate.bozo_exception
    kinds = {t.term for e in estate.entries for t in e.tags}
    assert kinds == {"incident", "resolution", "action", "maintenance"}
    titles = [e.title for e in estate.entries]
    assert any("Fixed: TLS-PROTO-002 on mail:25/smtp" in t for t in titles)
    assert any("New finding: TLS-PROTO-001 on portal:443/https" in t for t in titles)
    assert any("Waiver W-SOON expires on 2025-03-20" in t for t in titles)
    assert any("certificate renewal" in t for t in titles)
    ids = [e.id for e in estate.entries]
    assert len(ids) == len(set(ids))

    again = tmp_path / "again"  # stable IDs: a second run gives the same entries
    CliRunner().invoke(main, ["status", "--out", str(again), "--db", db])
    assert [e.id for e in feedparser.parse((again / "feed.atom").read_bytes()).entries] == ids

    portal = feedparser.parse((out / "feeds" / "portal-443-https.atom").read_bytes())
    assert not portal.bozo
    assert portal.entries and all("portal" in e.title for e in portal.entries)
    assert {e.id for e in portal.entries} <= set(ids)

    page = (out / "index.html").read_text()
    for label in ("Operational", "Minor disruption", "Major disruption", "Not operational",
                  "Maintenance"):
        assert label in page
    assert 'href="feeds/portal-443-https.atom"' in page
    assert page.count('class="st-') >= 9  # 3 services x 3 scans of history
    assert "<script" not in page


def test_report_history_chart_and_ages(tmp_path: Path) -> None:
    db, _ = build_history(tmp_path)
    with open_store(db) as store:
        latest = store.load(store.scans()[0].id)
    assert latest.history is not None and len(latest.history.points) == 3
    html = render_html(latest, lang="en")
    section = html[html.index('<section id="history"'):]
    section = section[:section.index("</section>")]
    assert "<svg" in section and 'class="bar bar-critical"' in section
    assert "Age of the open findings" in section
    # CERT-EXPIRY-001 on the portal has failed since the first scan, three weeks earlier
    row = section[section.index("CERT-EXPIRY-001"):]
    assert ">21</td>" in row[:row.index("</tr>")]
    assert "OPS-CADENCE-001" in html


def test_new_pages_are_valid_and_accessible(tmp_path: Path) -> None:
    tools.require_validator()
    tools.require_browser()
    db, _ = build_history(tmp_path)
    CliRunner().invoke(main, ["status", "--out", str(tmp_path / "site"), "--db", db])
    with open_store(db) as store:
        latest = store.load(store.scans()[0].id)
    report = tmp_path / "report.html"
    report.write_text(render_html(latest, lang="fr"))
    page = tmp_path / "site" / "index.html"
    assert tools.vnu_errors(page, report) == []
    checked = tools.browser_check(tmp_path / "shots", report)  # the tool expects a report
    for result in checked:
        assert result["axe"] == [], result["axe"]


@pytest.mark.parametrize("args", [["status", "--out", "x"]])
def test_status_without_history_is_exit_2(tmp_path: Path, args: list[str]) -> None:
    out = CliRunner().invoke(main, [*args, "--db", str(tmp_path / "empty.sqlite")])
    assert out.exit_code == 2 and "no complete scan" in out.output
