"""A segmented estate end to end: zones behind a router that drops everything not in the flow
matrix, SSH vantages on a separate management network, real TLS/HTTPS servers, the default
packs. A compliant estate comes out all green (exit 0); then each planted defect fails its rule.

    users (the scanner, local) ── 443 ──> presentation: web1 (https, also reached by admins)
    admins (vantage bastion)   ── 443 ──> edition: edit1 (https, internal: only admins reach it)
    edition (vantage edit-jump) ─ 8443 ─> data: api1 (https on 8443, only edition reaches it)

edit1 and api1 time out from the scanner's own zone: their TLS, certificate and HTTP probes go
through bastion and edit-jump (direct-tcpip channels). Port 80 is dropped everywhere: its
redirect rule is not applicable ("filtered").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.formats import ReportFormat, render
from reports.json_report import load_json
from scanner.cli import main
from scanner.demo.estate import HSTS, MODERN, P_CURVES
from scanner.demo.pki import CertAuthority, issue_leaf, make_ca
from scanner.demo.servers.launcher import openssl_config
from scanner.demo.servers.spec import ServerSpec
from scanner.models import NetworkService, ScanResult, Status, Unknown
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements
from tests.wording_help import how

ZONES = [ZoneSpec("users", root=True), ZoneSpec("admins", vantage=True),
         ZoneSpec("presentation", {"web1": ()}), ZoneSpec("edition", {"edit1": ()}, vantage=True),
         ZoneSpec("data", {"api1": ()})]
MATRIX = [("users", "presentation", "web1", 443), ("admins", "presentation", "web1", 443),
          ("admins", "edition", "edit1", 443), ("edition", "data", "api1", 8443)]
VANTAGES = {"admins": "bastion", "edition": "edit-jump"}
# The exposure scan: small (the full range is the bench's), and without the TLS ports, whose
# service detection alone takes nmap 20-30 s (it waits out each probe on a TLS server).
PORTS = "1-442,444-1024,3306,5432,6379"


@dataclass
class Estate:
    lab: Lab
    ca: CertAuthority
    inventory: Path
    edit1: subprocess.Popen[str]  # edit1's compliant server (the defects swap it)


def allow(matrix: list[tuple[str, str, str, int]]) -> list[Allow]:
    return [Allow(src, host, port) for src, _, host, port in matrix]


def start_tls(lab: Lab, zone: str, host: str, port: int, ca: CertAuthority,
              **settings: object) -> subprocess.Popen[str]:
    """A demo TLS/HTTPS server child (scanner.demo.servers) in the host's namespace."""
    leaf = issue_leaf(ca, lab.dir, f"{host}-{port}-{len(lab.procs)}",
                      dns_names=[f"{host}.lab.test"],
                      not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    base: dict[str, object] = {"ciphers": MODERN, "groups": P_CURVES, "http_headers": HSTS}
    spec = ServerSpec(name=f"{host}-{port}-{len(lab.procs)}", host=lab.host(host), port=port,
                      chain_pem=str(leaf.chain_pem), key_pem=str(leaf.key_pem),
                      **(base | settings))  # type: ignore[arg-type]
    spec_file, conf = lab.dir / f"{spec.name}.json", lab.dir / f"{spec.name}.cnf"
    spec_file.write_text(spec.to_json())
    conf.write_text(openssl_config(spec))
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, OPENSSL_CONF=str(conf), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    proc = lab.spawn(zone, [sys.executable, "-m", "scanner.demo.servers.child", str(spec_file)],
                     f"{spec.name}.log", env)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    assert ready.startswith("READY") and str(port) in ready, (ready, spec.name)
    return proc


def write_inventory(lab: Lab, path: Path) -> Path:
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).date().isoformat()
    data = {
        "rempart": 1, "contract": {"customer": "Zone lab", "end_date": end},
        "scope": [str(lab.block)],
        "roles": {"web": {"allowed_ports": ["443/tcp"]}, "api": {"allowed_ports": ["8443/tcp"]}},
        "hosts": [
            {"name": "web1", "address": lab.host("web1"), "dns_name": "web1.lab.test",
             "role": "web", "services": [{"port": 443, "protocol": "https"}]},
            {"name": "edit1", "address": lab.host("edit1"), "dns_name": "edit1.lab.test",
             "role": "web", "services": [{"port": 443, "protocol": "https"}]},
            {"name": "api1", "address": lab.host("api1"), "dns_name": "api1.lab.test",
             "role": "api", "services": [{"port": 8443, "protocol": "https"}]},
        ],
        "zones": {"users": {"vantage": "local"}, "admins": {"vantage": "bastion"},
                  "presentation": {"hosts": ["web1"]},
                  "edition": {"hosts": ["edit1"], "vantage": "edit-jump"},
                  "data": {"hosts": ["api1"]}},
        "flows": [{"from": s, "to": d, "port": f"{p}/tcp"} for s, d, _, p in MATRIX],
        "vantages": {VANTAGES[z]: {"address": lab.zones[z].mgmt, "user": lab.user,
                                   "key_file": str(lab.key),
                                   "known_hosts": str(lab.known_hosts)} for z in VANTAGES},
    }
    path.write_text(json.dumps(data, indent=1))
    return path


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    why = missing_requirements()
    if why:
        if os.environ.get("REMPART_NETLAB_REQUIRED"):
            pytest.fail(why)
        pytest.skip(why)
    workdir = tmp_path_factory.mktemp("zonelab")
    lab = Lab(ZONES, allow(MATRIX), [], workdir)
    try:
        lab.start()
        ca = make_ca(workdir / "pki", "Zone Lab CA")
        start_tls(lab, "presentation", "web1", 443, ca)
        edit1 = start_tls(lab, "edition", "edit1", 443, ca)
        start_tls(lab, "data", "api1", 8443, ca)
        yield Estate(lab, ca, write_inventory(lab, workdir / "inventory.yaml"), edit1)
    finally:
        lab.close()


def scan(estate: Estate, name: str) -> tuple[int, ScanResult, str]:
    out = estate.lab.dir / f"{name}.json"
    run = CliRunner().invoke(main, [
        "scan", str(estate.inventory), "--ca-file", str(estate.ca.cert_pem), "--ports", PORTS,
        "--timeout", "1", "--service-budget", "60", "--json", str(out), "-q"])
    assert out.exists(), run.output
    return run.exit_code, load_json(out.read_text()), run.output


def outcome(result: ScanResult) -> dict[tuple[str, str], Status]:
    return {(r.rule_id, r.service): r.status for r in result.results}


def test_zone_lab_compliant_then_each_defect_fails_its_rule(estate: Estate) -> None:
    code, result, output = scan(estate, "compliant")
    got = outcome(result)
    bad = {k: v for k, v in got.items() if v not in (Status.PASS, Status.NOT_APPLICABLE)}
    assert bad == {} and code == 0, (bad, output)
    # the internal services were probed from their clients' zones, through the vantages
    probed = {s.service.key: s.service.clients.vantage.name for s in result.services
              if isinstance(s.service, NetworkService) and s.service.clients is not None}
    assert probed["edit1:443/https"] == "bastion"
    assert probed["edit1:80/http"] == "bastion"
    assert probed["api1:8443/https"] == "edit-jump"
    assert probed["web1:443/https"] == "local"  # users reach it: from the scanner itself
    for zone in VANTAGES:  # no forwarded connection outlives its service on the vantages
        left = subprocess.run(["ip", "netns", "exec", estate.lab.ns(zone), "ss", "-Htn",
                               "state", "established", "not", "sport", "22"],
                              capture_output=True, text=True, check=True).stdout
        assert left.strip() == "", left
    assert got[("TLS-PROTO-002", "edit1:443/https")] is Status.PASS
    assert got[("CERT-TRUST-001", "api1:8443/https")] is Status.PASS
    filtered = next(r for r in result.results
                    if r.rule_id == "NET-HTTP-001" and r.service == "edit1:80/http")
    assert filtered.status is Status.NOT_APPLICABLE
    assert filtered.evidence[0].unknown is Unknown.FACT_NOT_APPLICABLE
    port80 = result.service("edit1:80/http").fact(filtered.evidence[0].fact)
    assert port80 is not None and port80.reason == "filtered"
    assert "port 443 of the same host accepted a connection" in how(port80)

    lab = estate.lab
    # planted defects: an extra flow, a missing one, an exposed database, weak TLS inside
    lab.firewall([*allow([m for m in MATRIX if m[:2] != ("admins", "presentation")]),  # missing
                  Allow("users", "api1", 8443),  # extra flow: users reach the internal API
                  Allow("users", "edit1", 6379)])  # the editing server's Redis, exposed
    lab.listen("edit1", (6379,))
    estate.edit1.kill()
    estate.edit1.wait()
    start_tls(lab, "edition", "edit1", 443, estate.ca, min_version="TLSv1.0",
              ciphers="ECDHE+AESGCM:ECDHE+AES")  # TLS 1.0/1.1 still offered
    code, result, output = scan(estate, "defects")
    got = outcome(result)
    failed = {k for k, v in got.items() if v is Status.FAIL}
    planted = {("NET-FLOW-002", "users->data/flow"), ("NET-FLOW-001", "admins->presentation/flow"),
               ("NET-PORT-001", "edit1/ports"), ("NET-PORT-002", "edit1/ports"),
               ("NET-FLOW-002", "users->edition/flow"),  # Redis is reachable from users too
               ("TLS-PROTO-002", "edit1:443/https")}
    assert planted <= failed, (planted - failed, output)
    others = {k for k in failed - planted
              if not (k[1] == "edit1:443/https" and k[0].startswith("TLS-"))}
    assert others == set(), output
    assert {k: v for k, v in got.items() if v is Status.ERROR} == {}, output
    assert code == 1
    weak = next(s for s in result.services if s.service.key == "edit1:443/https")
    assert isinstance(weak.service, NetworkService) and weak.service.clients is not None
    assert weak.service.clients.vantage.name == "bastion"
    protocols = weak.fact("tls.protocols")
    assert protocols is not None and isinstance(protocols.value, tuple)
    assert {o.value for o in protocols.value} >= {"TLSv1.0", "TLSv1.1", "TLSv1.2"}
    # the reports say from where: the console under the service, the HTML in its appendix
    console = render(ReportFormat.CONSOLE, result, base_dir=lab.dir)
    lines = [line.strip() for line in console.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith("edit1:443/https"))
    assert lines[at + 1].startswith("probed from bastion"), console
    port80 = next(i for i, line in enumerate(lines)
                  if line.startswith("edit1:80/http") and "NET-HTTP-001" in line)
    assert "filtered" in " ".join(lines[port80:port80 + 5]), console
    html = render(ReportFormat.HTML, result, base_dir=lab.dir)
    assert "<code>probe.vantage</code>" in html
