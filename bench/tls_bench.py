"""Rempart against a full sslyze scan of the same local TLS services.

Starts N compliant and N non-compliant services on 127.0.0.1, scans them with
``rempart scan`` and with ``python -m sslyze`` (both as child processes, one after the
other), judges sslyze's findings with the same saas-baseline rule objects, compares
the verdicts and prints wall time, TCP connections per service and peak memory.

    .venv/bin/python bench/tls_bench.py [--n 20] [--concurrency 8] [--keep] [--no-check]

Exit status: 0 when the verdicts are identical and the targets are met (or --no-check),
1 when they are not, 2 when a scanner could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.estate import HOST, BenchService, Estate, build_estate, inventory_yaml  # noqa: E402
from bench.measure import Measured, run_measured  # noqa: E402
from bench.sslyze_facts import DERIVED_FACTS, SSLYZE_FLAGS, load_results  # noqa: E402
from reports.json_report import load_json  # noqa: E402
from reports.wording import Wording  # noqa: E402
from scanner.demo.servers import (  # noqa: E402
    RunningServers,
    ServerStartError,
    start_servers,
)
from scanner.inventory import load_inventory  # noqa: E402
from scanner.models import ScanResult, ServiceProtocol, Status  # noqa: E402
from scanner.rulepack.conditions import Dynamic  # noqa: E402
from scanner.rulepack.evaluate import evaluate_rule  # noqa: E402
from scanner.rulepack.loader import load_pack  # noqa: E402
from scanner.rulepack.model import Rule  # noqa: E402
from scanner.rulepack.ruleset import build_ruleset  # noqa: E402

PACK = "saas-baseline"  # the rules both tools are judged on
MAX_CONNECTIONS = 40  # per service, for Rempart
MIN_SPEEDUP = 5.0  # sslyze wall time / Rempart wall time
EXIT_OK, EXIT_MISSED, EXIT_BROKEN = 0, 1, 2
REMPART_EXIT = {0: "all passed", 1: "failures", 3: "some rules unchecked"}


Verdicts = dict[tuple[str, str], tuple[Status, str]]  # (rule, host) -> status, message


@dataclass(frozen=True)
class ToolRun:
    """One tool over every repetition: median times, highest memory and connection counts."""

    name: str
    measured: Measured  # median wall and CPU time, highest peak RSS, last exit code
    per_service: dict[str, float]  # host -> connections counted by the servers (highest run)
    exact: bool  # per port (one listener per process) rather than a process's mean
    verdicts: Verdicts  # of the first repetition
    unstable: frozenset[tuple[str, str]] = frozenset()  # verdicts that changed between runs
    walls: tuple[float, ...] = ()

    @property
    def total_connections(self) -> float:
        return sum(self.per_service.values())

    @property
    def mean_connections(self) -> float:
        return self.total_connections / max(1, len(self.per_service))

    @property
    def max_connections(self) -> float:
        return max(self.per_service.values(), default=0.0)


class BenchError(RuntimeError):
    """A scanner did not run to the end: nothing to compare."""


# ---- command lines -------------------------------------------------------------------------

def rempart_prefix() -> list[str]:
    script = Path(sys.executable).with_name("rempart")
    return ([str(script)] if script.exists() else
            [sys.executable, "-c", "import sys; from scanner.cli import main; "
             "sys.argv[0] = 'rempart'; main()"])


def rempart_command(inventory: Path, out: Path, ca: Path, concurrency: int,
                    extra_packs: Sequence[Path] = (), history: Path | None = None) -> list[str]:
    """The scan as users run it: stored in the history database `history` (kept in the work
    directory, never the user's), or with `history` None not stored (--no-history)."""
    packs = [arg for pack in (PACK, *map(str, extra_packs)) for arg in ("--rules", pack)]
    keep = ["--db", str(history)] if history is not None else ["--no-history"]
    return [*rempart_prefix(), "scan", str(inventory), "--no-default-rules", *packs, "--json",
            str(out), "--ca-file", str(ca), "-q", "--concurrency", str(concurrency), *keep]


def sslyze_command(services: Sequence[BenchService], out: Path, ca: Path,
                   profile: str) -> list[str]:
    targets = [f"{s.dns_name}:{s.port}{{{HOST}}}" for s in services]  # SNI name, no DNS
    mozilla = ["--mozilla_config", "intermediate"] if profile == "mozilla" else []
    return [sys.executable, "-m", "sslyze", *SSLYZE_FLAGS, "--certinfo_ca_file", str(ca),
            *mozilla, "--json_out", str(out), "--quiet", *targets]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


# ---- connection counting -------------------------------------------------------------------

def accept_counts(servers: RunningServers) -> dict[str, int]:
    return {name: servers.connections(name) for name in servers.names()}


def per_service(estate: Estate, before: Mapping[str, int], after: Mapping[str, int]
                ) -> tuple[dict[str, float], bool]:
    """Connections per service host: a process's accepts divided by its listeners."""
    out: dict[str, float] = {}
    for spec_name, hosts in estate.members.items():
        delta = after[spec_name] - before[spec_name]
        for host in hosts:
            out[host] = delta / len(hosts)
    exact = all(len(h) == 1 for h in estate.members.values())
    return out, exact


# ---- verdicts ------------------------------------------------------------------------------

def comparable_rules(rules: Sequence[Rule]) -> tuple[list[Rule], list[str]]:
    """Rules on https services whose facts sslyze's result can establish, and the others."""
    keep, skip = [], []
    for rule in rules:
        if (ServiceProtocol.HTTPS in rule.info.applies_to
                and set(rule.info.facts) <= DERIVED_FACTS):
            keep.append(rule)
        else:
            skip.append(rule.info.id)
    return keep, skip


def rempart_verdicts(result: ScanResult, estate: Estate, rule_ids: set[str]
                     ) -> tuple[dict[tuple[str, str], tuple[Status, str]], dict[str, int]]:
    """(rule, host) -> status from Rempart's result, and its own connection count per host."""
    host_of = {s.key: s.host for s in estate.services}
    words = Wording("en")
    verdicts = {(r.rule_id, host_of[r.service]): (r.status, words.summary(r))
                for r in result.results if r.rule_id in rule_ids and r.service in host_of}
    own = {host_of[report.service.key]: sum(p.connections for p in report.probes)
           for report in result.services if report.service.key in host_of}
    return verdicts, own


def sslyze_verdicts(data: Mapping[str, Any], estate: Estate, inventory: Path,
                    rules: Sequence[Rule]) -> dict[tuple[str, str], tuple[Status, str]]:
    """Judge the facts derived from sslyze's JSON with the same rule objects."""
    started, by_port = load_results(data)
    inv = load_inventory(inventory)
    dyn = Dynamic(scan_time=started, contract_end=inv.contract.end_date)
    out: dict[tuple[str, str], tuple[Status, str]] = {}
    wanted = {s.key for s in estate.services}
    for host in inv.hosts:
        for service in host.services:
            if service.key not in wanted:  # e.g. the port-80 subject beside an https service
                continue
            got = by_port.get(service.port)
            for rule in rules:
                if got is None:
                    out[(rule.info.id, host.name)] = (Status.ERROR, "not in sslyze's output")
                    continue
                res = evaluate_rule(rule, service, got.facts, dyn)
                out[(rule.info.id, host.name)] = (res.status, Wording("en").summary(res))
    return out


# ---- the two runs --------------------------------------------------------------------------

@dataclass(frozen=True)
class Once:
    measured: Measured
    per_service: dict[str, float]
    exact: bool
    verdicts: Verdicts
    own: dict[str, int]  # the tool's own connection count per host, when it reports one


def scan_once(tool: str, cmd: Sequence[str], out: Path, ok_codes: Sequence[int],
              estate: Estate, servers: RunningServers, workdir: Path, timeout: float) -> Once:
    """Run one scan as a child process, with the servers' accept counts around it."""
    log = out.with_suffix(".log")
    before = accept_counts(servers)
    measured = run_measured(cmd, cwd=workdir, env=child_env(), log=log, timeout=timeout)
    after = accept_counts(servers)
    if measured.timed_out or measured.exit_code not in ok_codes or not out.exists():
        raise BenchError(f"{tool} exited with {measured.exit_code}"
                         f"{' (timed out)' if measured.timed_out else ''}; see {log}:\n"
                         f"{_tail(log)}")
    counts, exact = per_service(estate, before, after)
    return Once(measured, counts, exact, {}, {})


def run_rempart(estate: Estate, servers: RunningServers, workdir: Path, args: argparse.Namespace,
                rule_ids: set[str], rep: int, history: Path | None) -> Once:
    out = workdir / f"rempart-{rep}{'' if history else '-no-history'}.json"
    cmd = rempart_command(workdir / "inventory.yaml", out, estate.ca.cert_pem, args.concurrency,
                          [p.resolve() for p in args.rules], history)
    once = scan_once("rempart scan", cmd, out, tuple(REMPART_EXIT), estate, servers, workdir,
                     args.timeout)
    verdicts, own = rempart_verdicts(load_json(out.read_text()), estate, rule_ids)
    return Once(once.measured, once.per_service, once.exact, verdicts, own)


def run_sslyze(estate: Estate, servers: RunningServers, workdir: Path, args: argparse.Namespace,
               rules: Sequence[Rule], rep: int) -> Once:
    out = workdir / f"sslyze-{rep}.json"
    cmd = sslyze_command(estate.services, out, estate.ca.cert_pem, args.sslyze_profile)
    # sslyze exits 1 when a --mozilla_config check fails: that is a result, not a crash
    once = scan_once("sslyze", cmd, out, (0, 1), estate, servers, workdir, args.timeout)
    verdicts = sslyze_verdicts(json.loads(out.read_text()), estate, workdir / "inventory.yaml",
                               rules)
    return Once(once.measured, once.per_service, once.exact, verdicts, {})


def create_history(workdir: Path, timeout: float) -> Path:
    """An empty, migrated history database, so that every measured scan stores into an existing
    one (a weekly scan's case; creating it is a one-off)."""
    db = workdir / "history.sqlite"
    log = workdir / "history-create.log"
    measured = run_measured([*rempart_prefix(), "history", "--db", str(db)], cwd=workdir,
                            env=child_env(), log=log, timeout=timeout)
    if measured.exit_code != 0 or not db.exists():
        raise BenchError(f"rempart history exited with {measured.exit_code}; see {log}:\n"
                         f"{_tail(log)}")
    return db


def combine(name: str, runs: Sequence[Once]) -> ToolRun:
    walls = tuple(r.measured.wall_s for r in runs)
    measured = Measured(
        wall_s=statistics.median(walls),
        cpu_s=statistics.median(r.measured.cpu_s for r in runs),
        peak_rss_mb=max(r.measured.peak_rss_mb for r in runs),
        exit_code=runs[-1].measured.exit_code, timed_out=False)
    per_host = {h: max(r.per_service[h] for r in runs) for h in runs[0].per_service}
    first = runs[0].verdicts
    unstable = frozenset(k for r in runs[1:] for k, v in r.verdicts.items()
                         if first.get(k, (None, ""))[0] != v[0])
    return ToolRun(name, measured, per_host, runs[0].exact, first, unstable, walls)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---- report --------------------------------------------------------------------------------

def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if right[i] else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(estate: Estate, runs: Sequence[ToolRun], own: Mapping[str, int],
           compared: Sequence[Rule], skipped: Sequence[str], args: argparse.Namespace,
           extra: Sequence[ToolRun] = ()) -> tuple[bool, list[str]]:
    """`runs`: Rempart and sslyze, compared; `extra`: other Rempart runs, shown only."""
    rempart, sslyze = runs
    n_services = len(estate.services)
    sslyze_how = " ".join(SSLYZE_FLAGS) + (" + the Mozilla intermediate check"
                                           if args.sslyze_profile == "mozilla" else "")
    lines = [
        f"Rempart bench: {n_services} services on {HOST} ({args.n} compliant, {args.n} "
        f"non-compliant) in {len(estate.specs)} server processes",
        f"  rempart scan --concurrency {args.concurrency} (stored in a history database in the "
        f"work directory; and with --no-history); sslyze {sslyze_how}",
        "",
    ]
    rows = [["tool", "wall s", "(runs)", "CPU s", "conn/service mean", "max", "total",
             "peak RSS MB", "exit"]]
    for run in (rempart, *extra, sslyze):
        m = run.measured
        rows.append([run.name, f"{m.wall_s:.2f}", " ".join(f"{w:.2f}" for w in run.walls),
                     f"{m.cpu_s:.2f}",
                     f"{run.mean_connections:.1f}", f"{run.max_connections:.1f}",
                     f"{run.total_connections:.0f}", f"{m.peak_rss_mb:.1f}",
                     str(m.exit_code)])
    lines.append(_table(rows, [False, True, False, True, True, True, True, True, True]))
    if args.repeat > 1:
        lines.append(f"times: median of {args.repeat} interleaved runs; peak RSS and "
                     "connections: the highest run")
    how = ("per port (one server process per service)" if rempart.exact else
           "per server process, divided by its listeners (services of one kind share a "
           "process; max = the highest such mean); --process-per-service counts per port")
    lines.append(f"connections: TCP accepts counted by the servers, {how}")
    if own:
        values = [own[s.host] for s in estate.services if s.host in own]
        lines.append(f"rempart's own count per service (JSON probes[].connections): mean "
                     f"{sum(values) / max(1, len(values)):.1f}, max {max(values, default=0)}, "
                     f"total {sum(values)}")
    lines.append("")

    speedup = sslyze.measured.wall_s / max(rempart.measured.wall_s, 1e-9)
    conn_ratio = sslyze.mean_connections / max(rempart.mean_connections, 1e-9)
    mem_ratio = sslyze.measured.peak_rss_mb / max(rempart.measured.peak_rss_mb, 1e-9)
    cpu_ratio = sslyze.measured.cpu_s / max(rempart.measured.cpu_s, 1e-9)
    lines.append(f"ratios sslyze/rempart: wall {speedup:.1f}x, CPU {cpu_ratio:.1f}x, "
                 f"connections {conn_ratio:.1f}x, peak RSS {mem_ratio:.2f}x")

    diffs = [(rule.info.id, s) for s in estate.services for rule in compared
             if rempart.verdicts.get((rule.info.id, s.host), (None, ""))[0]
             != sslyze.verdicts.get((rule.info.id, s.host), (None, ""))[0]
             or (rule.info.id, s.host) in rempart.unstable | sslyze.unstable]
    checks = [
        (f"connections per service <= {args.max_connections} (rempart max "
         f"{rempart.max_connections:.1f})", rempart.max_connections <= args.max_connections),
        (f"wall time >= {args.min_speedup:g}x less than sslyze ({speedup:.1f}x)",
         speedup >= args.min_speedup),
        (f"identical verdicts ({len(compared)} rules x {n_services} services, "
         f"{len(diffs)} differ or changed between runs)", not diffs),
    ]
    for text, ok in checks:
        lines.append(f"  {_status(ok)}  {text}")
    if skipped:
        lines.append(f"  (not compared, sslyze cannot establish their facts: "
                     f"{', '.join(skipped)})")
    lines.append("")
    lines += kinds_table(estate, runs, compared)
    if diffs:
        lines += ["", "verdicts that differ:"]
        rows = [["rule", "service", "kind", "rempart", "sslyze", "rempart says", "sslyze says"]]
        for rule_id, svc in diffs:
            r_status, r_msg = rempart.verdicts.get((rule_id, svc.host), (None, "missing"))
            s_status, s_msg = sslyze.verdicts.get((rule_id, svc.host), (None, "missing"))
            key = (rule_id, svc.host)
            rows.append([rule_id, f"{svc.host} ({svc.port})", svc.kind.name,
                         str(r_status) + ("*" if key in rempart.unstable else ""),
                         str(s_status) + ("*" if key in sslyze.unstable else ""),
                         r_msg[:90], s_msg[:90]])
        lines.append(_table(rows, [False] * 7))
        if rempart.unstable or sslyze.unstable:
            lines.append("(*: the verdict changed between repetitions; the first run is shown)")
    return all(ok for _, ok in checks), lines


def kinds_table(estate: Estate, runs: Sequence[ToolRun], compared: Sequence[Rule]
                ) -> list[str]:
    """Per kind: connections and the rules each tool failed, against the kind's design."""
    rempart, sslyze = runs
    by_kind: dict[str, list[BenchService]] = {}
    for svc in estate.services:
        by_kind.setdefault(svc.kind.name, []).append(svc)
    rows = [["kind", "services", "conn rempart", "conn sslyze", "rules failed (rempart)",
             "same in sslyze", "as designed"]]
    for name, members in by_kind.items():
        kind = members[0].kind

        def failed(run: ToolRun, members: list[BenchService] = members) -> set[str]:
            return {r.info.id for r in compared for s in members
                    if run.verdicts.get((r.info.id, s.host), (None, ""))[0]
                    in (Status.FAIL, Status.ERROR)}

        r_failed, s_failed = failed(rempart), failed(sslyze)
        conn_r = sum(rempart.per_service[s.host] for s in members) / len(members)
        conn_s = sum(sslyze.per_service[s.host] for s in members) / len(members)
        designed = kind.expected_failures <= r_failed and (kind.compliant == (not r_failed))
        rows.append([name, str(len(members)), f"{conn_r:.1f}", f"{conn_s:.1f}",
                     ", ".join(sorted(r_failed)) or "-",
                     "yes" if r_failed == s_failed else "NO: " + ", ".join(
                         sorted(s_failed ^ r_failed)),
                     "yes" if designed else "no, designed: " + (", ".join(
                         sorted(kind.expected_failures)) or "none")])
    return [_table(rows, [False, True, True, True, False, False, False]),
            "(failed: fail or error for at least one service of the kind; designed: the "
            "defect the kind was built with)"]


# ---- main ----------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tls_bench.py", description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=20,
                   help="compliant services, and as many non-compliant ones (default 20)")
    p.add_argument("--concurrency", type=int, default=8,
                   help="rempart scan --concurrency (default 8, Rempart's default)")
    p.add_argument("--repeat", type=int, default=3,
                   help="scan with each tool this many times, interleaved; times are medians "
                        "(default 3)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory (certificates, inventory, JSON, logs)")
    p.add_argument("--no-check", action="store_true",
                   help="only print: exit 0 even when a target is missed or verdicts differ")
    p.add_argument("--process-per-service", action="store_true",
                   help="one server process per service: exact per-port connection counts")
    p.add_argument("--sslyze-profile", choices=("needed", "mozilla"), default="needed",
                   help="needed: the scan commands the compared rules need (default); mozilla: "
                        "also sslyze's default Mozilla-intermediate check (heartbleed, ROBOT…)")
    p.add_argument("--rules", type=Path, action="append", default=[], metavar="FILE",
                   help=f"a rule pack to add to {PACK} for both tools (repeatable; its "
                        "overrides apply to both)")
    p.add_argument("--max-connections", type=float, default=MAX_CONNECTIONS,
                   help=f"target: Rempart connections per service (default {MAX_CONNECTIONS})")
    p.add_argument("--min-speedup", type=float, default=MIN_SPEEDUP,
                   help=f"target: sslyze wall time / Rempart's (default {MIN_SPEEDUP:g})")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds allowed to each scanner run (default 1800)")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be at least 1")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rempart-bench-"))
    try:
        return bench(args, workdir)
    except (BenchError, ServerStartError) as exc:
        print(f"tls_bench: {exc}", file=sys.stderr)
        args.keep = True  # the logs it points at
        return EXIT_BROKEN
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench(args: argparse.Namespace, workdir: Path) -> int:
    ruleset = build_ruleset([load_pack(PACK), *(load_pack(str(p)) for p in args.rules)])
    compared, skipped = comparable_rules(ruleset.rules)
    rule_ids = {r.info.id for r in compared}
    print(f"tls_bench: building {2 * args.n} services in {workdir}", file=sys.stderr)
    estate = build_estate(workdir, args.n, per_service_process=args.process_per_service,
                          today=dt.datetime.now(dt.UTC).date())
    with start_servers(estate.specs, workdir / "servers", timeout=60.0) as servers:
        estate = estate.with_ports({name: servers.ports(name) for name in servers.names()})
        (workdir / "inventory.yaml").write_text(inventory_yaml(estate), encoding="utf-8")
        history = create_history(workdir, args.timeout)
        r_runs: list[Once] = []
        n_runs: list[Once] = []
        s_runs: list[Once] = []
        for rep in range(1, args.repeat + 1):  # interleaved: load changes hit every tool
            for db in (history, None) if rep % 2 else (None, history):  # either goes first
                print(f"tls_bench: run {rep}/{args.repeat}: rempart"
                      f"{'' if db else ' --no-history'}", file=sys.stderr)
                once = run_rempart(estate, servers, workdir, args, rule_ids, rep, db)
                (r_runs if db else n_runs).append(once)
            print(f"tls_bench: run {rep}/{args.repeat}: sslyze", file=sys.stderr)
            s_runs.append(run_sslyze(estate, servers, workdir, args, compared, rep))
    rempart = combine("rempart", [*r_runs, *n_runs])  # verdicts must not change between them
    rempart = replace(rempart, measured=combine("rempart", r_runs).measured,
                      walls=tuple(r.measured.wall_s for r in r_runs))
    no_history = combine("rempart --no-history", n_runs)
    sslyze = combine("sslyze", s_runs)
    ok, lines = report(estate, (rempart, sslyze), r_runs[0].own, compared, skipped, args,
                       extra=(no_history,))
    print("\n".join(lines))
    if args.no_check:
        return EXIT_OK
    return EXIT_OK if ok else EXIT_MISSED


if __name__ == "__main__":
    sys.exit(main())
