"""Benchmark: Rempart's exposure scan behind a firewall that drops, against plain `nmap -T4`.

A network-namespace lab (tests/netlab/lab.py; root only) puts the hosts behind a router whose
forward chain drops everything but their open ports: a host that drops every port, a host with
a few open ports, and 20 hosts with one to three open ports each. Each scenario is scanned by
`rempart scan` (its CLI, one process, the network-baseline rules) with each --scan-rate preset,
then by a plain `nmap -Pn -n -T4 -sV` of the same hosts in the same run, stopped after
--reference-timeout seconds. It prints wall time, time per host and open ports found against
the ports really open. Exit status: 0 every open port found by every Rempart run and the
dropping host done under --target seconds; 1 otherwise; 2 the lab could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.measure import run_measured
from scanner.probes.nmap_runner import parse_hosts
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements

ROOT = Path(__file__).resolve().parents[1]
Hosts = dict[str, tuple[int, ...]]  # host -> its open ports
DROP: Hosts = {"drop1": ()}
FEW: Hosts = {"few1": (22, 443, 5432, 8443, 50000)}
TWENTY: Hosts = {f"h{i:02d}": tuple(sorted({22, 443, 40000 + i} if i % 2 else {443, 3306 + i}))
                 for i in range(1, 21)}
SCENARIOS: dict[str, Hosts] = {"dropping host": DROP, "few open ports": FEW, "20 hosts": TWENTY}


@dataclass(frozen=True)
class Row:
    scenario: str
    tool: str
    hosts: int
    wall_s: float
    found: int
    expected: int
    note: str = ""

    @property
    def per_host(self) -> float:
        return self.wall_s / self.hosts


def in_spec(port: int, spec: str) -> bool:
    """Whether nmap's -p SPEC (numbers and ranges) covers the port."""
    for part in spec.split(","):
        low, _, high = part.partition("-")
        if int(low or 1) <= port <= int(high or (low if not _ else 65535)):
            return True
    return False


def expected_ports(hosts: dict[str, tuple[int, ...]], spec: str) -> int:
    return sum(1 for ports in hosts.values() for p in ports if in_spec(p, spec))


def build_lab(workdir: Path) -> Lab:
    hosts = {**DROP, **FEW, **TWENTY}
    names = list(hosts)
    zones = [ZoneSpec("users", root=True)]
    for i in range(0, len(names), 5):  # a /29 per zone: five hosts at most
        zones.append(ZoneSpec(f"z{i // 5}", {n: hosts[n] for n in names[i:i + 5]}))
    allow = [Allow("users", h, p) for h, ports in hosts.items() for p in ports]
    return Lab(zones, allow, [], workdir)


def inventory(lab: Lab, hosts: dict[str, tuple[int, ...]], path: Path) -> Path:
    data = {
        "rempart": 1, "contract": {"customer": "nmap bench"}, "scope": [str(lab.block)],
        "roles": {h: {"allowed_ports": [f"{p}/tcp" for p in ports]}
                  for h, ports in hosts.items()},
        "hosts": [{"name": h, "address": lab.host(h), "role": h,
                   "services": [{"port": 443, "protocol": "tls"}]} for h in hosts],
    }
    path.write_text(json.dumps(data, indent=1))
    return path


def run_rempart(lab: Lab, name: str, hosts: dict[str, tuple[int, ...]], preset: str,
                args: argparse.Namespace, workdir: Path) -> Row:
    tag = f"{name.replace(' ', '-')}-{preset}"
    inv = inventory(lab, hosts, workdir / f"{tag}.json")
    out = workdir / f"{tag}-result.json"
    rempart = Path(sys.executable).with_name("rempart")
    cmd = [str(rempart), "scan", str(inv), "--no-default-rules", "--rules", "network-baseline",
           "--ports", args.ports, "--scan-rate", preset, "--service-budget", "3600",
           "--json", str(out), "-q"]
    measured = run_measured(cmd, cwd=workdir, env=os.environ, log=workdir / f"{tag}.log",
                            timeout=args.timeout)
    found, note = 0, ""
    if out.exists():
        result = json.loads(out.read_text())
        for svc in result["services"]:
            for fact in svc["facts"]:
                if fact["name"] == "ports.open":
                    if fact["status"] != "completed":
                        note = f"error: {fact['reason']}"
                        continue
                    seen = {o["value"] for o in fact["value"]}
                    want = {f"{p}/tcp" for p in hosts[svc["service"]["host"]]}
                    found += len(seen & want)
                    if seen - want:
                        note = f"unexpected: {sorted(seen - want)}"
    elif measured.timed_out:
        note = f"stopped after {args.timeout:.0f} s"
    expected = expected_ports(hosts, args.ports)
    return Row(name, f"rempart {preset}", len(hosts), measured.wall_s, found, expected, note)


def run_reference(lab: Lab, name: str, hosts: dict[str, tuple[int, ...]],
                  args: argparse.Namespace, workdir: Path) -> Row:
    tag = f"{name.replace(' ', '-')}-nmap"
    xml = workdir / f"{tag}.xml"
    cmd = [str(shutil.which("nmap")), "-Pn", "-n", "-T4", "-sV", "-p", args.ports, "-oX",
           str(xml), *(lab.host(h) for h in hosts)]
    measured = run_measured(cmd, cwd=workdir, env=os.environ, log=workdir / f"{tag}.log",
                            timeout=args.reference_timeout)
    found = 0
    if not measured.timed_out and xml.exists():
        runs = parse_hosts(xml.read_text(), [lab.host(h) for h in hosts])
        for h, ports in hosts.items():
            seen = {r.port for r in runs[lab.host(h)].ports if r.state == "open"}
            found += len(seen & set(ports))
    note = f"stopped after {args.reference_timeout:.0f} s" if measured.timed_out else ""
    expected = expected_ports(hosts, args.ports)
    return Row(name, "nmap -T4", len(hosts), measured.wall_s, found, expected, note)


def table(rows: Sequence[Row]) -> str:
    lines = ["| scenario | tool | hosts | wall (s) | per host (s) | open ports found |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        wall = f"> {r.wall_s:.0f}" if r.note.startswith("stopped") else f"{r.wall_s:.1f}"
        per = f"> {r.per_host:.0f}" if r.note.startswith("stopped") else f"{r.per_host:.1f}"
        found = "-" if r.note.startswith("stopped") else f"{r.found}/{r.expected}"
        extra = f" ({r.note})" if r.note and not r.note.startswith("stopped") else ""
        lines.append(f"| {r.scenario} | {r.tool} | {r.hosts} | {wall} | {per} | {found}{extra} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", default="1-65535", help="port range scanned (default: all)")
    p.add_argument("--presets", default="default,fast",
                   help="comma-separated --scan-rate values to run (default: default,fast)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help=f"comma-separated, among: {', '.join(SCENARIOS)}")
    p.add_argument("--reference-timeout", type=float, default=180.0,
                   help="seconds plain nmap -T4 may run per scenario (default 180)")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="seconds one rempart run may take (default 900)")
    p.add_argument("--target", type=float, default=60.0,
                   help="seconds the dropping host's scan must stay under (default 60)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    why = missing_requirements()
    if why or shutil.which("nmap") is None:
        print(f"nmap bench: {why or 'nmap is not installed'}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="rempart-nmap-bench-"))
    lab = build_lab(workdir)
    rows: list[Row] = []
    try:
        lab.start()
        for name in args.scenarios.split(","):
            hosts = SCENARIOS[name.strip()]
            for preset in args.presets.split(","):
                rows.append(run_rempart(lab, name.strip(), hosts, preset.strip(), args, workdir))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
            rows.append(run_reference(lab, name.strip(), hosts, args, workdir))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    finally:
        lab.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nports {args.ports}, nmap forward chain policy drop, 2-core machine\n")
    print(table(rows))
    ours = [r for r in rows if r.tool.startswith("rempart")]
    missed = [r for r in ours if r.found != r.expected or r.note]
    slow = [r for r in ours if r.scenario == "dropping host" and r.wall_s >= args.target]
    for r in missed:
        print(f"MISSED: {r.scenario} / {r.tool}: {r.found}/{r.expected} {r.note}")
    for r in slow:
        print(f"SLOW: {r.scenario} / {r.tool}: {r.wall_s:.1f} s >= {args.target:.0f} s")
    return 1 if missed or slow else 0


if __name__ == "__main__":
    sys.exit(main())
