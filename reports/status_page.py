"""The static status page: each service's state now and over the last scans, the events, the
legend of the five states and links to the feeds. One self-contained HTML file."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from scanner.history.status import Event, ServiceStatus, State, overall

STATE_LABEL = {State.OPERATIONAL: "Operational", State.MINOR: "Minor disruption",
               State.MAJOR: "Major disruption", State.NOT_OPERATIONAL: "Not operational",
               State.MAINTENANCE: "Maintenance"}
STATE_ICON = {State.OPERATIONAL: "✓", State.MINOR: "!", State.MAJOR: "✗",
              State.NOT_OPERATIONAL: "■", State.MAINTENANCE: "⚙"}
STATE_MEANING = {
    State.OPERATIONAL: "no failed rule",
    State.MINOR: "only low or medium severity failures",
    State.MAJOR: "a high severity failure",
    State.NOT_OPERATIONAL: "a critical failure, or the service could not be reached",
    State.MAINTENANCE: "inside a maintenance window declared in the inventory",
}
CSS = """
:root { --ok: #17613a; --minor: #a65300; --major: #b01d1d; --down: #111; --maint: #1f4fa3; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
       color: #1b1f24; margin: 0 auto; max-width: 60rem; padding: 0 1.2rem 3rem; }
h1 { font-size: 1.7rem; margin: 1.2rem 0 0.3rem; }
.banner { padding: 0.8rem 1rem; border-radius: 4px; color: #fff; font-weight: 700; }
.st { display: inline-block; padding: 0 0.45em; border-radius: 3px; color: #fff;
      font-weight: 600; white-space: nowrap; }
.st-operational { background: var(--ok); } .st-minor { background: var(--minor); }
.st-major { background: var(--major); } .st-not_operational { background: var(--down); }
.st-maintenance { background: var(--maint); }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #c9cfd6; padding: 0.3rem 0.4rem; text-align: left;
         vertical-align: top; }
.history { display: flex; gap: 2px; list-style: none; margin: 0; padding: 0; }
.history li { width: 1.3rem; height: 1.3rem; border-radius: 2px; color: #fff;
              font-size: 0.75rem; text-align: center; line-height: 1.3rem; }
.muted { color: #535b64; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden;
           clip: rect(0 0 0 0); white-space: nowrap; }
@media print { .st, .banner, .history li { print-color-adjust: exact;
               -webkit-print-color-adjust: exact; } }
"""


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(
        default=True), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_status_page(statuses: Sequence[ServiceStatus], events: Sequence[Event], *,
                       customer: str, generated_at: dt.datetime,
                       feeds: Mapping[str, str], estate_feed: str = "feed.atom",
                       max_events: int = 50) -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:"
    return _env().get_template("status.html.j2").render(
        css=Markup(CSS), csp=csp, customer=customer, generated_at=generated_at,  # noqa: S704
        statuses=statuses, events=list(events)[:max_events], overall=overall(statuses),
        feeds=feeds, estate_feed=estate_feed, states=list(State), label=STATE_LABEL,
        icon=STATE_ICON, meaning=STATE_MEANING)
