"""The `rempart` command line: argument handling only."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import click

from reports.formats import ReportFormat, render, render_text
from scanner import __version__
from scanner.app import ScanRequest
from scanner.engine import ScanOptions
from scanner.interrupt import Cancel, exit_now, signals_cancel
from scanner.inventory import ScopeError, adhoc_inventory, load_inventory
from scanner.limits import MAX_CERT_BYTES, MAX_RESULT_BYTES, check_regular, describe, read_bounded
from scanner.models import InventoryInfo, ScanResult, Severity
from scanner.netaddr import in_scope, is_loopback, parse_server
from scanner.outputs import OutputError, check_outputs, write_atomic
from scanner.probes.base import ProbeOptions
from scanner.probes.scan_rate import parse_scan_rate
from scanner.rulepack.loader import BUILTIN_PACKS, DEFAULT_PACKS, load_pack
from scanner.rulepack.model import Check, Condition, RuleSet
from scanner.rulepack.ruleset import build_ruleset
from scanner.termtext import safe
from scanner.verdict import ExitCode, exit_code
from scanner.waivers import apply_policy, apply_waivers, exclude_rules, load_waivers, unwaive
from scanner.yamlsrc import SourceError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES = """\b
Exit status:
  0  every applicable rule passed (failures below --fail-on are reported, not fatal)
  1  a rule failed at or above --fail-on
  2  bad usage, invalid rule pack or inventory, or a target outside the scope
  3  no failure at that level, but some rule could not be checked (error results)
  130  interrupted by SIGINT (reports written with what was gathered, marked interrupted)
  143  interrupted by SIGTERM (likewise)"""


def _echo(text: str = "", *, err: bool = False) -> None:
    """Every line the CLI prints: names from inputs are data, so control characters and
    escape sequences are shown escaped, never obeyed by the terminal."""
    click.echo(safe(text, lines=True), err=err)


def _fail(message: str) -> NoReturn:
    _echo(f"rempart: error: {message}", err=True)
    sys.exit(ExitCode.USAGE)


def input_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn bad input into `file:line:col: field: message` and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (SourceError, ScopeError) as exc:
            _fail(str(exc))

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rempart")
def main() -> None:
    """Rempart checks hosts against written security commitments (YAML rule packs)
    and reports findings as SARIF, JSON and HTML.

    \b
    Examples:
      rempart demo
      rempart scan inventory.yaml --sarif out.sarif --json out.json
      rempart scan --target 203.0.113.10:443 --scope 203.0.113.0/24
    """


def load_rules(refs: Sequence[str], no_default: bool) -> RuleSet:
    names = [] if no_default else list(DEFAULT_PACKS)
    names += [r for r in refs if r not in names]
    if not names:
        raise SourceError("--rules", 1, 1, "rules", "no rule pack selected; pass --rules")
    return build_ruleset([load_pack(n) for n in names])


def inventory_file(path: Path | None) -> tuple[str, bytes] | None:
    """The inventory file's name and bytes for the PDF; None if it is not at hand (the PDF then
    attaches the inventory recorded in the result)."""
    if path is None:
        return None
    try:
        return path.name, path.read_bytes()
    except OSError:
        return None


def write_reports(result: ScanResult, outputs: dict[ReportFormat, Path | None], lang: str,
                  base_dir: Path, inventory: tuple[str, bytes] | None = None) -> None:
    """Render every report first, then write each atomically (whole or not at all); the PDF
    attaches `inventory` (name, bytes) when given."""
    texts = {fmt: render(fmt, result, base_dir=base_dir, lang=lang, inventory=inventory)
             for fmt, path in outputs.items() if path is not None}
    for fmt, text in texts.items():
        path = outputs[fmt]
        assert path is not None
        try:
            write_atomic(path, text)
        except OSError as exc:
            _fail(f"cannot write {path}: {exc.strerror or exc}")
        _echo(f"wrote {fmt.value.upper()} report: {path}", err=True)


def check_report_paths(outputs: dict[ReportFormat, Path | None],
                       inputs: Sequence[tuple[str, Path]]) -> None:
    """Before any work: outputs writable, distinct, and none of them an input."""
    try:
        check_outputs({f"--{'json' if fmt is ReportFormat.JSON else fmt.value}": path
                       for fmt, path in outputs.items()}, inputs)
    except OutputError as exc:
        _fail(str(exc))


def scan_inputs(inventory: Path | None, rule_refs: Sequence[str], ca_file: Path | None,
                inv: InventoryInfo) -> list[tuple[str, Path]]:
    """Every file a scan reads, which no report may overwrite."""
    found = [("the inventory", inventory)] if inventory else []
    found += [("a rule pack", Path(r)) for r in rule_refs if r not in BUILTIN_PACKS]
    found += [("--ca-file", ca_file)] if ca_file else []
    for v in inv.vantages:
        found += [(f"vantage {v.name}", Path(v.key_file)),
                  (f"vantage {v.name}", Path(v.known_hosts))]
    for a in inv.ssh_access:
        found += [(f"SSH access to {a.host}", Path(a.known_hosts))]
        found += [(f"SSH access to {a.host}", Path(a.key_file))] if a.key_file else []
    return [(what, path) for what, path in found if path is not None]


def _date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2027-06-30; got {value!r}") from None


rules_option = click.option(
    "--rules", "rule_refs", multiple=True, metavar="PACK|FILE",
    help=f"Rule pack to add: a built-in name ({', '.join(BUILTIN_PACKS)}) or a YAML file. "
         "Repeatable. saas-baseline, network-baseline and host-baseline are loaded unless "
         "--no-default-rules; ops-performance (response time) is opt-in.")
waivers_option = click.option(
    "--waivers", "waivers_file", type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE", help="YAML file of waivers (accepted risks): covered failures are reported "
                         "as waived, with approver and expiry.")
no_default_option = click.option("--no-default-rules", is_flag=True,
                                 help="Do not load the built-in default packs.")
output_options = [
    click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write SARIF 2.1.0 findings here."),
    click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the full JSON result here."),
    click.option("--html", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the HTML audit report here."),
    click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the audit report as PDF/A-3 here, with the JSON result and the "
                      "inventory attached (their SHA-256 on the cover)."),
    click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
                 help="Language of the HTML and PDF reports and of the printed summary."),
    click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write JUnit XML here (one test case per rule and service)."),
    click.option("--gitlab", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write a GitLab code-quality report here."),
    click.option("--baseline", metavar="RESULT.json|SCAN_ID",
                 help="Gate only on findings that are not in this earlier result (a JSON "
                      "result, or a scan ID of the history database)."),
]


def with_outputs(func: Callable[P, R]) -> Callable[P, R]:
    for option in reversed(output_options):
        func = option(func)
    return func


@main.command(epilog=EXIT_CODES)
@click.argument("inventory", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--target", "targets", multiple=True, metavar="HOST:PORT[/PROTOCOL]",
              help="Scan this service without an inventory (repeatable). PROTOCOL is one of "
                   "https, http, tls, smtp, smtps, imap, imaps, pop3, pop3s, ssh (default from "
                   "the port).")
@click.option("--scope", "scopes", multiple=True, metavar="CIDR",
              help="With --target: networks you are authorised to scan (default: loopback).")
@click.option("--contract-end", callback=_date, metavar="YYYY-MM-DD",
              help="With --target: the contract end date certificates must cover.")
@rules_option
@no_default_option
@with_outputs
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="low",
              show_default=True, help="Lowest severity of a failed rule that makes exit status 1.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Services scanned at the same time.")
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=5.0, show_default=True,
              help="Seconds allowed for each connection step (connect, read).")
@click.option("--service-budget", type=click.FloatRange(1, 3600), default=120.0,
              show_default=True, help="Seconds allowed for all the probes of one service.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra trusted CA certificates (PEM), added to the system store.")
@click.option("--ports", default="1-65535", show_default=True, metavar="SPEC",
              help="TCP ports of the exposure scan (nmap syntax, e.g. 1-1024,8443).")
@click.option("--scan-rate", default="default", show_default=True, metavar="PRESET|PPS",
              help="Pace of the exposure scan: careful, default or fast, or packets per "
                   "second per host; settings may follow: fast,retries=2,rtt=300,intensity=4. "
                   "All hosts share one nmap run.")
@click.option("--udp", is_flag=True, help="Also scan the top 100 UDP ports (slow).")
@click.option("--flow-sweep", is_flag=True,
              help="Flows from the local vantage: sweep every port of --ports with nmap "
                   "instead of the candidate ports (one nmap run per zone pair, at --scan-rate).")
@click.option("--dns-server", metavar="ADDRESS[:PORT]",
              help="Resolver for SPF look-ups (default: the inventory's mail.dns_server, "
                   "else the system resolver).")
@click.option("--trust-on-first-use", is_flag=True,
              help="Host checks: accept an SSH host key that is not in the host's known_hosts "
                   "yet and add it there (default: refuse, naming the fingerprint seen).")
@click.option("--skip-rule", "skip_rules", multiple=True, metavar="RULE",
              help="Exclude this rule from the scan (repeatable); reports list it as excluded.")
@waivers_option
@click.option("--db", metavar="PATH|URL", envvar="REMPART_DB", show_envvar=True,
              help="History database the scan is stored in: an SQLite file or "
                   "postgresql://user@host/dbname (default: "
                   "~/.local/share/rempart/history.sqlite).")
@click.option("--no-history", is_flag=True, help="Do not store this scan in the history.")
@click.option("-v", "--verbose", is_flag=True, help="List passed rules in the summary too.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary table.")
@input_errors
def scan(inventory: Path | None, targets: tuple[str, ...], scopes: tuple[str, ...],
         contract_end: dt.date | None, rule_refs: tuple[str, ...], no_default_rules: bool,
         sarif: Path | None, json_out: Path | None, html: Path | None, pdf: Path | None,
         lang: str, junit: Path | None, gitlab: Path | None, baseline: str | None,
         fail_on: str, concurrency: int, timeout: float, service_budget: float,
         ca_file: Path | None, ports: str, scan_rate: str, udp: bool, flow_sweep: bool,
         dns_server: str | None, trust_on_first_use: bool, skip_rules: tuple[str, ...],
         waivers_file: Path | None, db: str | None, no_history: bool, verbose: bool,
         quiet: bool) -> None:
    """Scan the services of INVENTORY (or --target ones) against the rule packs.

    \b
    Examples:
      rempart scan inventory.yaml --sarif rempart.sarif --json result.json --html report.html
      rempart scan inventory.yaml --pdf report.pdf --lang fr
      rempart scan inventory.yaml --rules my-pack.yaml --fail-on high
      rempart scan inventory.yaml --waivers waivers.yaml --skip-rule TLS-CIPH-002
      rempart scan --target 127.0.0.1:8443/https --contract-end 2027-06-30
      rempart scan --target 203.0.113.10:22/ssh --scope 203.0.113.0/24
      rempart scan inventory.yaml --scan-rate fast --ports 1-65535
    """
    cancel = Cancel()
    with signals_cancel(cancel):  # SIGINT/SIGTERM: stop, write what was gathered, exit 130/143
        if (inventory is None) == (not targets):
            raise click.UsageError("give an INVENTORY file or at least one --target (not both)")
        scanned = inventory_file(inventory) if pdf is not None else None  # as scanned
        if inventory is not None:
            inv = load_inventory(inventory)
        else:
            inv = adhoc_inventory(targets, scopes, contract_end)
        contract_warning(inv)
        rules, exclusions = exclude_rules(load_rules(rule_refs, no_default_rules), skip_rules)
        known = {r.info.id for r in rules.rules} | {e.rule_id for e in exclusions}
        waivers = load_waivers(waivers_file, known) if waivers_file else ()
        outputs = {ReportFormat.SARIF: sarif, ReportFormat.JSON: json_out,
                   ReportFormat.HTML: html, ReportFormat.PDF: pdf, ReportFormat.JUNIT: junit,
                   ReportFormat.GITLAB: gitlab}
        check_report_paths(outputs, scan_inputs(inventory, rule_refs, ca_file, inv))
        if ca_file is not None:
            try:
                check_regular(ca_file, MAX_CERT_BYTES)
            except OSError as exc:
                _fail(f"--ca-file {ca_file}: cannot read: {describe(exc)}")
        probe = probe_options(inv, ports, udp, dns_server, flow_sweep, trust_on_first_use,
                              scan_rate)
        if not quiet:  # a line per host as its exposure scan ends
            probe = replace(probe, on_progress=lambda line: _echo(line, err=True))
        options = ScanOptions(concurrency=concurrency, timeout=timeout,
                              service_budget=service_budget, ca_file=ca_file, probe=probe)
        from scanner.progress import scan_showing_progress

        result = scan_showing_progress(ScanRequest(inv, rules, options, cancel=cancel),
                                       show=not quiet)
        result = apply_policy(result, exclusions, waivers)
        if not no_history:  # an interrupted scan is stored marked `interrupted`
            result = cli_history.record(result, db)
        write_reports(result, outputs, lang, Path.cwd(), scanned)
        if not quiet:
            _echo(render_text(ReportFormat.CONSOLE, result, base_dir=Path.cwd(),
                              verbose=verbose, lang=lang))
    if cancel.is_set():
        _echo(f"rempart: scan interrupted by {cancel.name}; the reports hold what was gathered "
              "(unfinished subjects are errors in category 'interrupted')", err=True)
        exit_now(cancel.exit_status)
    sys.exit(gate_exit(result, Severity(fail_on), baseline, db))


def gate_exit(result: ScanResult, fail_on: Severity, baseline: str | None,
              db: str | None = None) -> ExitCode:
    """The exit status; with a baseline, findings already in it do not fail the gate."""
    if baseline is None:
        return exit_code(result, fail_on)
    from scanner.gate import load_baseline, new_findings_exit
    from scanner.history.store import HistoryError

    try:
        base = load_baseline(baseline, db)
    except (OSError, ValueError, HistoryError) as exc:
        _fail(f"--baseline {baseline}: {exc}")
    code, known = new_findings_exit(result, base, fail_on)
    if known:
        click.echo(f"baseline: {known} finding(s) already in the baseline do not fail the gate",
                   err=True)
    return code


def probe_options(inv: InventoryInfo, ports: str, udp: bool, dns_server: str | None,
                  flow_sweep: bool = False, trust_on_first_use: bool = False,
                  scan_rate: str = "default") -> ProbeOptions:
    check_port_spec(ports)
    if dns_server is not None:
        check_dns_server_option(dns_server, inv.scope)
    try:
        rate = parse_scan_rate(scan_rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scan-rate") from None
    exposed = tuple(dict.fromkeys(h.exposure.address for h in inv.hosts
                                  if h.exposure is not None and h.exposure.address))
    return ProbeOptions(ports=ports, udp=udp, dns_server=dns_server or inv.dns_server,
                        flow_sweep=flow_sweep, trust_on_first_use=trust_on_first_use,
                        scan_rate=rate, exposure_hosts=exposed)


def check_port_spec(spec: str) -> None:
    """`--ports`: comma-separated ports or ranges, each within 1-65535, ranges ascending."""
    usage = f"expected ports like 1-1024,8443 (each 1 to 65535); got {spec!r}"
    for item in spec.split(","):
        m = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", item)
        if not m:
            raise click.BadParameter(usage, param_hint="--ports")
        low, high = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= low <= high <= 65535:
            raise click.BadParameter(f"{item!r} is out of range; {usage}", param_hint="--ports")


def contract_warning(inv: InventoryInfo) -> None:
    """A contract that already ended: rules comparing with it are errors, not passes."""
    end = inv.contract.end_date
    if end is not None and end < dt.datetime.now(dt.UTC).date():
        _echo(f"rempart: warning: {inv.path or '--contract-end'}: contract.end_date {end} is "
              "already past; rules that compare with it (certificate validity for the contract "
              "term) will be errors, not passes: correct the date", err=True)


def check_dns_server_option(text: str, scope: Sequence[str]) -> None:
    """--dns-server is queried by the scan: loopback or inside the scope, like every target."""
    try:
        address, _ = parse_server(text, 53)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--dns-server") from None
    if not is_loopback(address) and not in_scope(address, scope):
        raise ScopeError(f"--dns-server {address} is outside the scope ({', '.join(scope)})")


@main.command()
@click.argument("result_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_outputs
@click.option("--inventory", "inventory", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path),
              help="With --pdf: attach this inventory file (the one scanned). Without it the "
                   "PDF attaches the inventory recorded in the result (inventory.json).")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="low",
              show_default=True, help="As for `scan`: the exit status reflects the result.")
@waivers_option
@input_errors
def report(result_json: Path, sarif: Path | None, json_out: Path | None, html: Path | None,
           pdf: Path | None, lang: str, junit: Path | None, gitlab: Path | None,
           baseline: str | None, inventory: Path | None, fail_on: str,
           waivers_file: Path | None) -> None:
    """Render reports again from a saved JSON result (no network).

    \b
    Example:
      rempart report result.json --html report.html --lang fr
      rempart report result.json --pdf report.pdf --inventory inventory.yaml
    """
    from reports.json_report import load_json

    outputs = {ReportFormat.SARIF: sarif, ReportFormat.JSON: json_out, ReportFormat.HTML: html,
               ReportFormat.PDF: pdf, ReportFormat.JUNIT: junit, ReportFormat.GITLAB: gitlab}
    check_report_paths(outputs, [("the JSON result read", result_json)])
    try:
        text = read_bounded(result_json, MAX_RESULT_BYTES)
    except OSError as exc:
        _fail(f"{result_json}: cannot read: {describe(exc)}")
    try:
        result = load_json(text)
    except Exception as exc:
        _fail(f"{result_json}: not a Rempart JSON result: {exc}")
    if waivers_file:  # re-applied as of the scan date; a waiver file replaces the recorded one
        result = apply_waivers(unwaive(result), load_waivers(waivers_file,
                                                             {r.id for r in result.rules}))
    # never a path read from the result: a result from elsewhere must not pick local files
    scanned = inventory_file(inventory) if pdf is not None else None
    write_reports(result, outputs, lang, Path.cwd(), scanned)
    sys.exit(gate_exit(result, Severity(fail_on), baseline))


@main.group()
def rules() -> None:
    """List, show and validate rule packs.

    \b
    Examples:
      rempart rules list
      rempart rules show TLS-PROTO-002
      rempart rules validate my-pack.yaml
    """


@rules.command("list")
@rules_option
@no_default_option
@input_errors
def rules_list(rule_refs: tuple[str, ...], no_default_rules: bool) -> None:
    """List the rules in force (ID, severity, requirements, title).

    \b
    Example:
      rempart rules list --rules my-pack.yaml
    """
    ruleset = load_rules(rule_refs, no_default_rules)
    for rule in ruleset.rules:
        i = rule.info
        _echo(f"{i.id:<18} {i.severity.value:<9} {','.join(i.requirements):<24} "
                   f"{i.title['en']}")
    for ov in ruleset.disabled:
        _echo(f"{ov.rule_id:<18} disabled  by {ov.location.file}:{ov.location.line}"
                   + (f" ({ov.reason})" if ov.reason else ""))
    _echo("Built-in packs (in force: *):")
    loaded = {p.id for p in ruleset.packs}
    for name in BUILTIN_PACKS:
        pack = load_pack(name).info
        how = "default" if name in DEFAULT_PACKS else f"opt-in: --rules {name}"
        _echo(f"{'*' if name in loaded else '-'} {name:<20} {how:<36} {pack.title['en']}")


@rules.command("show")
@click.argument("rule_id")
@rules_option
@no_default_option
@input_errors
def rules_show(rule_id: str, rule_refs: tuple[str, ...], no_default_rules: bool) -> None:
    """Show one rule: metadata, facts it needs, parameters, rationale, remediation.

    \b
    Example:
      rempart rules show CERT-EXPIRY-001
    """
    ruleset = load_rules(rule_refs, no_default_rules)
    rule = next((r for r in ruleset.rules if r.info.id == rule_id), None)
    if rule is None:
        _fail(f"no rule {rule_id}; `rempart rules list` shows the rules in force")
    i = rule.info
    lines = [
        f"{i.id}: {i.title['en']}", f"  pack:         {i.pack}",
        f"  severity:     {i.severity.value}",
        f"  requirements: {', '.join(i.requirements)}",
        "  controls:     " + "; ".join(f"{k} {', '.join(v)}" for k, v in i.controls.items()),
        f"  applies to:   {', '.join(p.value for p in i.applies_to)}",
        f"  facts:        {', '.join(i.facts)}",
        "  params:       " + ("; ".join(f"{k} = {_shown(v)}" for k, v in rule.params.items())
                              or "-"),
        f"  check:        {describe_check(rule.check)}",
        f"  rationale:    {i.rationale['en']}", f"  remediation:  {i.remediation['en']}",
    ]
    _echo("\n".join(lines))


def _shown(value: object) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)


def describe_check(check: Check) -> str:
    if isinstance(check, Condition):
        extra = f" except {_shown(check.exclude)}" if check.exclude is not None else ""
        return f"{check.fact} {check.op} {_shown(check.operand)}{extra}"
    return f"{check.mode}(" + "; ".join(describe_check(c) for c in check.items) + ")"


@rules.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@input_errors
def rules_validate(files: tuple[Path, ...]) -> None:
    """Check rule pack files (together with the built-in packs they may override).

    \b
    Example:
      rempart rules validate my-pack.yaml
    """
    packs = [load_pack(str(f)) for f in files]
    ids = {p.info.id for p in packs}
    builtin = [load_pack(n) for n in BUILTIN_PACKS if n not in ids]
    ruleset = build_ruleset(builtin + packs)
    for p in packs:
        _echo(f"{p.info.origin}: OK ({len(p.rules)} rules, {len(p.overrides)} overrides)")
    _echo(f"{len(ruleset.rules)} rules in force with the built-in packs")


@main.group()
def inventory() -> None:
    """Validate inventories.

    \b
    Example:
      rempart inventory validate inventory.yaml
    """


@inventory.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@input_errors
def inventory_validate(file: Path) -> None:
    """Check an inventory file: format, addresses, scope.

    \b
    Example:
      rempart inventory validate inventory.yaml
    """
    inv = load_inventory(file)
    contract_warning(inv)
    services = sum(len(h.services) for h in inv.hosts)
    _echo(f"{file}: OK ({len(inv.hosts)} hosts, {services} services, "
               f"scope {', '.join(inv.scope)})")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("rempart-demo"), show_default=True,
              help="Folder for the demo inventory, certificates and reports.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of report.html and report.pdf (report.LANG.html has the other).")
@click.option("--pdf", is_flag=True, help="Also write report.pdf (PDF/A-3, evidence attached).")
def demo(out: Path, lang: str, pdf: bool) -> None:
    """Start a local demo estate on loopback, scan it, write the reports, stop it.

    Each demo host gets its own address (127.0.0.11 and up; one demo at a time per machine,
    a second one waits); the inventory, SARIF, JSON and
    HTML reports go to --out. The exposure scan needs nmap.

    \b
    Example:
      rempart demo --out /tmp/rempart-demo
      rempart demo --pdf
    """
    from scanner.demo.lock import one_demo_at_a_time
    from scanner.demo.run import run_demo
    from scanner.demo.servers import ServerStartError

    try:
        with one_demo_at_a_time():
            status = run_demo(out, lang, pdf)
    except (ServerStartError, OSError) as exc:
        _fail(f"the demo estate could not start: {exc}")
    sys.exit(status)


if __name__ == "__main__":  # python -m scanner.cli: the commands live on scanner.cli's group
    from scanner.cli import main as registered_main  # (cli_history imports scanner.cli)

    registered_main()
else:
    from scanner import cli_history, cli_ops  # noqa: F401  (register their commands on main)
