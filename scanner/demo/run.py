"""`rempart demo`: start the estate, write its inventory, scan it, write reports, stop it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reports.formats import ReportFormat, render, render_text
from scanner.app import ScanRequest
from scanner.demo.estate import SCAN_PORTS, build_estate, inventory_yaml
from scanner.demo.servers.launcher import start_servers
from scanner.demo.ssh_estate import STORIES, add_to_inventory, ssh_hosts, why_not
from scanner.demo.weekly import DemoWeek
from scanner.engine import ScanOptions
from scanner.inventory import load_inventory
from scanner.models import Severity
from scanner.outputs import write_atomic
from scanner.probes.base import ProbeOptions
from scanner.progress import scan_showing_progress
from scanner.rulepack.loader import DEFAULT_PACKS, load_pack
from scanner.rulepack.ruleset import build_ruleset
from scanner.verdict import exit_code

DEMO_PACKS = (*DEFAULT_PACKS, "tls-hardening")  # the FTP server's weak DH group shows too


def run_demo(out: Path, lang: str, pdf: bool = False) -> int:
    out.mkdir(parents=True, exist_ok=True)
    shown, out = out, out.resolve()  # server children run elsewhere: absolute paths
    click.echo(f"rempart demo: building the demo estate in {shown}/", err=True)
    estate = build_estate(out / "pki")
    week = DemoWeek(out)
    inventory_path = out / "inventory.yaml"
    rules = build_ruleset([load_pack(p) for p in DEMO_PACKS])
    with ssh_hosts(out / "ssh") as ssh_lab:

        def write_inventory(ports: dict[str, int]) -> None:
            text = inventory_yaml(estate, ports)
            if ssh_lab is not None:
                text = add_to_inventory(text, ssh_lab)
            inventory_path.write_text(text + week.operations(), encoding="utf-8")

        click.echo("scan 1 (last week): the presentation server does not send HSTS yet",
                   err=True)
        with start_servers([week.before_fix(s) for s in estate.specs()],
                           out / "servers") as servers:
            ports = {s.name: servers.port(s.name) for s in estate.specs()}
            for host in estate.hosts:
                click.echo(f"  {host.name:<16} {host.address:<11} {host.story}", err=True)
            if ssh_lab is not None:
                for name, lab_host in ssh_lab.hosts.items():
                    click.echo(f"  {name:<16} {lab_host.address:<11} {STORIES[name]}", err=True)
            else:
                click.echo(f"  (no SSH hosts: {why_not()})", err=True)
            write_inventory(ports)
            inventory = load_inventory(inventory_path)
            options = ScanOptions(concurrency=8, timeout=5.0, ca_file=estate.ca_file,
                                  probe=ProbeOptions(ports=SCAN_PORTS))
            week.record(scan_showing_progress(ScanRequest(inventory, rules, options), show=True))
        click.echo("the fix: the presentation server now sends HSTS; scan 2 (this week)",
                   err=True)
        fixed = [replace(s, port=ports[s.name]) for s in estate.specs()]  # same services
        with start_servers(fixed, out / "servers") as servers:
            moved = {s.name: servers.port(s.name) for s in fixed}
            if moved != ports:  # a port was taken meanwhile: the inventory follows
                write_inventory(moved)
                inventory = load_inventory(inventory_path)
            result = week.record(scan_showing_progress(ScanRequest(inventory, rules, options),
                                                       show=True))
    outputs = {ReportFormat.SARIF: out / "rempart.sarif", ReportFormat.JSON: out / "result.json",
               ReportFormat.HTML: out / "report.html", ReportFormat.JUNIT: out / "junit.xml",
               ReportFormat.GITLAB: out / "gl-code-quality-report.json"}
    other = "fr" if lang == "en" else "en"
    if pdf:
        outputs[ReportFormat.PDF] = out / "report.pdf"
    scanned = (inventory_path.name, inventory_path.read_bytes())
    for fmt, path in outputs.items():
        write_atomic(path, render(fmt, result, base_dir=out, lang=lang, inventory=scanned))
    also = out / f"report.{other}.html"  # the HTML report in the other language too
    write_atomic(also, render_text(ReportFormat.HTML, result, base_dir=out, lang=other))
    click.echo(render(ReportFormat.CONSOLE, result, base_dir=out, lang=lang))
    for fmt, path in outputs.items():
        click.echo(f"wrote {fmt.value.upper()}: {path}")
    click.echo(f"wrote HTML ({other}): {also}")
    click.echo("")
    click.echo(week.summary())
    status = exit_code(result, Severity.LOW)
    click.echo(f"(a `rempart scan` of this estate exits with status {int(status)}: "
               f"{status.name.lower()}; the demo itself succeeded)")
    return 0
