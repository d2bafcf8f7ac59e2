"""The demo's week: last week's scan, a fix, this week's scan, with waivers and a history
database, so that `rempart demo` also shows a diff, the waivers and the status page."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from scanner.cli_history import diff_text, pick_pair, record
from scanner.cli_ops import write_status_site
from scanner.demo.servers.spec import ServerSpec
from scanner.history.diff import diff_scans
from scanner.history.store import open_store
from scanner.models import ScanResult
from scanner.waivers import apply_policy, load_waivers

FIXED_SERVER = "presentation"  # last week it sent no HSTS header; the fix adds it


def waivers_yaml(today: dt.date) -> str:
    soon, later = today + dt.timedelta(days=10), today + dt.timedelta(days=60)
    return f"""\
rempart: 1
waivers:
  - id: W-DEMO-3DES
    rule: TLS-CIPH-002
    hosts: [mail-relay]
    justification: a partner's mail gateway still needs 3DES; the relay is replaced next month
    approver: Claire Martin (RSSI)
    start: {today - dt.timedelta(days=20)}
    expires: {soon}
    risk: medium
  - id: W-DEMO-HSTS
    rule: NET-HSTS-001
    hosts: [presentation]
    justification: HSTS rolled out after the load-balancer change
    approver: Claire Martin (RSSI)
    start: {today - dt.timedelta(days=20)}
    expires: {later}
    risk: low
"""


def operations_yaml(today: dt.date) -> str:
    start = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(22), tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=4)
    return f"""\
operations:
  scan_interval_days: 7
  remediation_days: {{critical: 7, high: 30, medium: 90, low: 180}}
  maintenance:
    - {{start: "{start.isoformat()}", end: "{end.isoformat()}", hosts: [api-lps],
       title: certificate renewal of api-lps}}
"""


class DemoWeek:
    def __init__(self, out: Path, today: dt.date | None = None) -> None:
        self.out = out
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.db = out / "history.sqlite"
        for stale in (self.db, out / "history.sqlite-wal", out / "history.sqlite-shm"):
            stale.unlink(missing_ok=True)  # each demo starts its own history
        self.waivers = out / "waivers.yaml"
        self.waivers.write_text(waivers_yaml(self.today), encoding="utf-8")

    def operations(self) -> str:
        return operations_yaml(self.today)

    @staticmethod
    def before_fix(spec: ServerSpec) -> ServerSpec:
        if spec.name != FIXED_SERVER:
            return spec
        return replace(spec, http_headers=tuple(h for h in spec.http_headers
                                                if not h.startswith("Strict-Transport")))

    def record(self, result: ScanResult) -> ScanResult:
        waivers = load_waivers(self.waivers, {r.id for r in result.rules})
        return record(apply_policy(result, (), waivers), str(self.db))

    def summary(self) -> str:
        """The diff of the two scans, and the status page written under out/status."""
        with open_store(str(self.db)) as store:
            old_id, new_id = pick_pair(store, None, None, None)
            before, after = store.load(old_id), store.load(new_id)
            key = store.scans(limit=1)[0].inventory
            history = [r for _, r in store.results_of(key)]
        text = diff_text(old_id, new_id, before, after, diff_scans(before, after, history))
        feeds, events = write_status_site(self.out / "status", history, key)
        return (f"{text}\n\nwrote the status page {self.out / 'status' / 'index.html'} "
                f"({feeds} Atom feeds, {events} events)")
