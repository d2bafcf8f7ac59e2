"""The flows probe: strict parsing, the local vantage on loopback, and a namespace lab end to end.

The lab (root only): users (the root namespace, `local`), admins, presentation (web1) and
edition (edit1) behind a router whose forward chain is the flow matrix, with one extra open port
(admins -> web1:22) and one missing required flow (edition -> web1:443, rejected).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from reports.wording import Wording
from scanner.cli import probe_options
from scanner.engine import ScanOptions, probe_target, run_probe, run_scan
from scanner.inventory import load_inventory
from scanner.models import (
    FlowDestination,
    ListValue,
    LocalVantage,
    Observation,
    ProbeStatus,
    ReasonCategory,
    RequiredFlow,
    ScanResult,
    Status,
    Vantage,
    VantagePoint,
    ZonePair,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeOptions, ProbeTarget
from scanner.probes.flows import FlowsProbe
from scanner.probes.nmap_runner import INSTALL_HINT, find_nmap
from scanner.probes.registry import Registry
from scanner.probes.vantage import State, parse_output, remote_script, ssh_attempts
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error
from tests.netlab.lab import Allow, Lab, ZoneSpec, missing_requirements
from tests.subjects import zone_pair
from tests.wording_help import how

WANTED = frozenset({"flows.open"})
ZONES = [ZoneSpec("users", root=True), ZoneSpec("admins", vantage=True),
         ZoneSpec("presentation", {"web1": (22, 80, 443)}, vantage=True),
         ZoneSpec("edition", {"edit1": (443, 5432)}, vantage=True)]
ALLOW = [Allow("users", "web1", 443), Allow("users", "web1", 8080),  # 8080: nobody listens
         Allow("admins", "web1", 443), Allow("admins", "web1", 22),  # 22: the mistake
         Allow("admins", "edit1", 443), Allow("admins", "edit1", 8443)]
FLOWS = [("users", "presentation"), ("admins", "presentation"), ("admins", "edition"),
         ("edition", "presentation")]  # the last one is not allowed: rejected by the router
VANTAGES = {"admins": "bastion", "presentation": "pres-jump", "edition": "edit-jump"}
OPEN = {"users->presentation": {"web1:443/tcp"}, "users->edition": set(),
        "admins->presentation": {"web1:22/tcp", "web1:443/tcp"},
        "admins->edition": {"edit1:443/tcp"}, "edition->presentation": set(),
        "presentation->edition": set()}


def ctx(timeout: float = 1.0, budget: float = 30.0) -> ProbeContext:
    return ProbeContext(timeout=timeout, deadline=time.monotonic() + budget,
                        options=ProbeOptions())


def subject(vantage: VantagePoint | None, destinations: list[str], ports: list[int],
            required: tuple[str, ...] = ()) -> ProbeTarget:
    """A zone pair's probe target; destinations as NAME=IP."""
    hosts = dict(d.split("=", 1) for d in destinations)
    return probe_target(zone_pair(required, dict(hosts), ports, vantage, "a", "b"), None)


LOCAL = LocalVantage()


# ---------------------------------------------------------------- no lab needed

ASKED = [("203.0.113.18", 22), ("203.0.113.18", 443)]


@pytest.mark.parametrize(("text", "error"), [
    ("", "expected 'rmp-tool"),
    ("hello\nrmp-tool bash\n", "expected 'rmp-tool"),
    ("rmp-tool perl\n", "unknown tool"),
    ("rmp-tool none\n", "neither bash with timeout nor nc"),
    ("rmp-tool bash\nrmp-try 203.0.113.18 22 0\n", "no result for 203.0.113.18:443"),
    ("rmp-tool bash\nrmp-try 203.0.113.18 22 0\nrmp-try 203.0.113.18 22 1\n", "twice"),
    ("rmp-tool bash\nrmp-try 203.0.113.99 22 0\n", "not asked for"),
    ("rmp-tool bash\nrmp-try 203.0.113.18 22 0\nrmp-try 203.0.113.18 443 x\n", "443 x"),
    ("rmp-tool bash\nrmp-try 203.0.113.18 22 0\nWelcome!\nrmp-try 203.0.113.18 443 0\n",
     "Welcome"),
    ("rmp-tool bash\nrmp-try 203.0.113.18 22 127\nrmp-try 203.0.113.18 443 0\n",
     "failed to run"),
])
def test_parse_output_is_strict(text: str, error: str) -> None:
    with pytest.raises(ProbeFailure, match=error):
        parse_output(text, ASKED, "bastion")


def test_parse_output_states() -> None:
    ok = parse_output("rmp-tool bash\nrmp-try 203.0.113.18 443 124\n"
                      "rmp-try 203.0.113.18 22 0\n", ASKED, "bastion")
    assert ok.tool == "bash /dev/tcp"
    assert ok.states == {ASKED[0]: State.OPEN, ASKED[1]: State.TIMEOUT}
    nc = parse_output("rmp-tool nc-w\nrmp-try 203.0.113.18 22 1\nrmp-try 203.0.113.18 443 1\n",
                      ASKED, "bastion")
    assert set(nc.states.values()) == {State.CLOSED}


def test_remote_script_batches_and_refuses_unchecked_values() -> None:
    script = remote_script([("203.0.113.18", p) for p in range(1, 71)], 2)
    assert script.count(" wait\n") == 3 and "timeout $T bash" in script
    with pytest.raises(ValueError):
        remote_script([("203.0.113.18; rm -rf /", 22)], 2)


def _loopback_pair() -> tuple[socket.socket, socket.socket, int, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: refused
    return listener, closed, listener.getsockname()[1], closed.getsockname()[1]


def test_local_vantage_tries_the_candidates() -> None:
    listener, closed, port, shut = _loopback_pair()
    with listener, closed:
        facts = run_probe(FlowsProbe(), subject(LOCAL, ["lo=127.0.0.1"], [port, shut]), WANTED,
                                 ctx())
    assert facts[0].status is ProbeStatus.COMPLETED, facts[0].reason
    assert isinstance(facts[0].value, tuple)
    (seen,) = facts[0].value
    assert isinstance(seen, Observation) and seen.value == f"lo:{port}/tcp"
    assert seen.detail.startswith("connect from local succeeded in ")
    assert "2 connection attempts (1 host × 2 ports): 1 open, 1 refused, 0 timed out" in \
        how(facts[0])
    assert "from vantage local (the scanner), candidate ports: " in how(facts[0])


def test_local_vantage_sweeps_the_port_range_with_nmap() -> None:
    if find_nmap() is None:
        pytest.skip(INSTALL_HINT)
    listener, closed, port, shut = _loopback_pair()
    other = socket.socket()  # open, but not a candidate: only the sweep finds it
    other.bind(("127.0.0.1", 0))
    other.listen(8)
    extra = other.getsockname()[1]
    probe_ctx = ProbeContext(timeout=1.0, deadline=time.monotonic() + 30,
                             options=ProbeOptions(ports=f"{extra}", flow_sweep=True))
    with listener, closed, other:
        facts = run_probe(FlowsProbe(), subject(LOCAL, ["lo=127.0.0.1"], [port, shut]), WANTED,
                                 probe_ctx)
    assert facts[0].status is ProbeStatus.COMPLETED, facts[0].reason
    assert isinstance(facts[0].value, tuple)
    found = {o.value: o.detail for o in facts[0].value if isinstance(o, Observation)}
    assert set(found) == {f"lo:{port}/tcp", f"lo:{extra}/tcp"}
    assert found[f"lo:{extra}/tcp"] == "found open by nmap from local"
    assert f"scan of ports {extra} and the 2 candidate ports on 1 host: 3 ports" in \
        how(facts[0])


def test_the_sweep_runs_one_nmap_for_all_destinations(monkeypatch: pytest.MonkeyPatch) -> None:
    if find_nmap() is None:
        pytest.skip(INSTALL_HINT)
    from scanner.probes import ports as ports_module
    from tests.probes_ports import fresh_address

    runs: list[tuple[str, ...]] = []
    real = ports_module.run_nmap_hosts

    def counted(hosts: tuple[str, ...], *args: object, **kwargs: object) -> object:
        runs.append(hosts)
        return real(hosts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ports_module, "run_nmap_hosts", counted)
    first, second = fresh_address(), fresh_address()
    one, two = socket.create_server((first, 0)), socket.create_server((second, 0))
    ports = [one.getsockname()[1], two.getsockname()[1]]
    probe_ctx = ProbeContext(timeout=1.0, deadline=time.monotonic() + 30,
                             options=ProbeOptions(ports="1-100", flow_sweep=True))
    with one, two:
        (fact,) = FlowsProbe().run(subject(LOCAL, [f"a={first}", f"b={second}"], ports),
                                   WANTED, probe_ctx, {})
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple)
    assert {o.value for o in fact.value if isinstance(o, Observation)} == {
        f"a:{ports[0]}/tcp", f"b:{ports[1]}/tcp"}
    assert len(runs) == 1 and sorted(runs[0]) == sorted([first, second])


@pytest.mark.parametrize(("target", "error"), [
    (subject(None, ["web1=127.0.0.1"], [443]), "zone a has no vantage point to test flows from"),
    (subject(LOCAL, [], [443], ("web2:443/tcp",)),
     "no address for web2: flows to it cannot be tested"),
])
def test_bad_subjects_are_errors(target: ProbeTarget, error: str) -> None:
    (fact,) = run_probe(FlowsProbe(), target, WANTED, ctx())
    assert_error(fact, ReasonCategory.BAD_INPUT, error)


@pytest.mark.parametrize("build", [
    lambda: FlowDestination(host="web1", address="app.example"),  # a name: never resolved
    lambda: zone_pair(ports=[70000]),
    lambda: RequiredFlow(host="web1", port=0),
])
def test_malformed_zone_pairs_cannot_be_built(build: Callable[[], object]) -> None:
    with pytest.raises(ValidationError):
        build()


def test_exhausted_budget_is_an_error() -> None:
    (fact,) = run_probe(FlowsProbe(), subject(LOCAL, ["lo=127.0.0.1"], [1]), WANTED,
                               ctx(budget=-1))
    assert_error(fact, ReasonCategory.BUDGET_EXHAUSTED, "budget exhausted")
    assert run_probe(FlowsProbe(), subject(LOCAL, [], []), frozenset(), ctx()) == []


# ---------------------------------------------------------------- the namespace lab

@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    why = missing_requirements()
    if why:
        if os.environ.get("REMPART_NETLAB_REQUIRED"):
            pytest.fail(why)
        pytest.skip(why)
    built = Lab(ZONES, ALLOW, ["edition"], tmp_path_factory.mktemp("netlab"))
    try:
        built.start()
        yield built
    finally:
        built.close()


def inventory(lab: Lab, known_hosts: Path | None = None) -> Path:
    """The lab as an inventory (JSON, which is YAML too)."""
    known = known_hosts or lab.known_hosts
    data = {
        "rempart": 1, "contract": {"customer": "Network lab"}, "scope": [str(lab.block)],
        "roles": {"web": {"allowed_ports": ["443/tcp"]}},
        "hosts": [{"name": h, "address": lab.host(h), "role": "web",
                   "services": [{"port": 443, "protocol": "https"}]} for h in ("web1", "edit1")],
        "zones": {"users": {"vantage": "local"}, "admins": {"vantage": "bastion"},
                  "presentation": {"hosts": ["web1"], "vantage": "pres-jump"},
                  "edition": {"hosts": ["edit1"], "vantage": "edit-jump"}},
        "flows": [{"from": a, "to": b, "port": "443/tcp"} for a, b in FLOWS],
        "vantages": {VANTAGES[z]: {"address": lab.zones[z].mgmt, "user": lab.user,
                                   "key_file": str(lab.key), "known_hosts": str(known)}
                     for z in VANTAGES},
    }
    path = lab.dir / f"inventory-{known.name}.yaml"
    path.write_text(json.dumps(data, indent=1))
    return path


def scan(path: Path) -> ScanResult:
    inv = load_inventory(path)
    options = ScanOptions(timeout=1.0, service_budget=30.0,
                          probe=probe_options(inv, "1-65535", False, None))
    return run_scan(inv, build_ruleset([load_pack("network-baseline")]), options,
                    registry=Registry([FlowsProbe()]))


def verdicts(result: ScanResult, rule: str) -> dict[str, Status]:
    return {r.service.removesuffix("/flow"): r.status for r in result.results
            if r.rule_id == rule}


def test_flow_matrix_end_to_end(lab: Lab) -> None:
    result = scan(inventory(lab))
    pairs = set(OPEN)
    for pair in pairs:
        fact = result.service(f"{pair}/flow").fact("flows.open")
        assert fact is not None and fact.status is ProbeStatus.COMPLETED, fact
        assert {o.value for o in fact.value} == OPEN[pair], pair  # type: ignore[union-attr]
    assert verdicts(result, "NET-FLOW-001") == {
        p: Status.FAIL if p == "edition->presentation" else Status.PASS for p in pairs}
    assert verdicts(result, "NET-FLOW-002") == {
        p: Status.FAIL if p == "admins->presentation" else Status.PASS for p in pairs}
    by_key = {(r.rule_id, r.service): r for r in result.results}
    words = Wording("en")
    extra = by_key[("NET-FLOW-002", "admins->presentation/flow")].evidence[0]
    assert isinstance(extra.actual, ListValue) and "web1:22/tcp" in extra.actual.items
    decisive = " ".join(words.decisive(extra))
    assert "web1:22/tcp: connect from bastion (ssh root@" in decisive
    assert "bash /dev/tcp" in decisive + _how(result, "admins->presentation")
    missing = by_key[("NET-FLOW-001", "edition->presentation/flow")].evidence[0]
    assert missing.missing == ("web1:443/tcp",)
    assert "missing: web1:443/tcp" in words.decisive(missing)
    assert "edit-jump" in _how(result, "edition->presentation")
    pair = result.service("users->presentation/flow").service
    assert isinstance(pair, ZonePair)
    ports = len(pair.ports)
    summaries = {p: how(result.service(f"{p}/flow").fact("flows.open")) for p in pairs}
    assert summaries["users->presentation"].startswith("from vantage local (the scanner)")
    assert f"1 open, 1 refused, {ports - 2} timed out (filtered)" in \
        summaries["users->presentation"]
    assert f"1 open, 1 refused, {ports - 2} timed out" in summaries["admins->edition"]
    assert f"0 open, {ports} refused, 0 timed out" in summaries["edition->presentation"]


def test_wrong_known_hosts_gives_errors_not_passes(lab: Lab) -> None:
    other = lab.dir / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True)
    wrong = lab.dir / "wrong_known_hosts"
    blob = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    wrong.write_text("".join(f"{z.mgmt} {blob}\n" for z in lab.zones.values() if z.mgmt))
    result = scan(inventory(lab, wrong))
    for rule in ("NET-FLOW-001", "NET-FLOW-002"):
        got = verdicts(result, rule)
        assert {p for p, s in got.items() if s is Status.ERROR} == \
            {p for p in OPEN if not p.startswith("users->")}
        assert got["users->presentation"] is Status.PASS
    fact = result.service("admins->edition/flow").fact("flows.open")
    assert fact is not None
    assert_error(fact, ReasonCategory.NOT_PERMITTED, "does not match")
    assert (fact.reason or "").startswith(
        f"host key of bastion ({lab.zones['admins'].mgmt}) does not match {wrong} "
        "(changed key or man in the middle): it presented ssh-ed25519 SHA256:")


def settings(lab: Lab, **change: str | int) -> Vantage:
    base = Vantage(name="bastion", address=lab.zones["admins"].mgmt or "", port=22,
                   user=lab.user, key_file=str(lab.key), known_hosts=str(lab.known_hosts))
    return base.model_copy(update=change)


def test_ssh_failures_are_reasons(lab: Lab, tmp_path: Path) -> None:
    empty, address = tmp_path / "empty_known_hosts", lab.zones["admins"].mgmt
    empty.write_text("")
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)],
                   check=True)
    cases = {
        "unknown": (settings(lab, known_hosts=str(empty)), ReasonCategory.NOT_PERMITTED,
                    f"host key of bastion ({address}) not in {empty}"),
        "no file": (settings(lab, known_hosts=str(tmp_path / "nope")), ReasonCategory.BAD_INPUT,
                    "cannot read known_hosts"),
        "key": (settings(lab, key_file=str(stranger)), ReasonCategory.NOT_PERMITTED,
                "SSH authentication to bastion"),
        "no key": (settings(lab, key_file=str(tmp_path / "nope")), ReasonCategory.BAD_INPUT,
                   "key file"),
        "port": (settings(lab, port=2222), ReasonCategory.UNREACHABLE,  # the vantage
                 f"SSH connection to bastion ({address}) port 2222"),
    }
    for name, (vantage, category, reason) in cases.items():
        target = subject(vantage, [f"web1={lab.host('web1')}"], [443])
        (fact,) = run_probe(FlowsProbe(), target, WANTED, ctx())
        assert_error(fact, category, reason)
        assert (fact.reason or "").startswith(reason), (name, fact.reason)


def test_ssh_vantage_with_nc(lab: Lab) -> None:
    web1, edit1 = lab.host("web1"), lab.host("edit1")
    asked = [(web1, 22), (web1, 443), (web1, 80), (edit1, 8443)]
    got = ssh_attempts(settings(lab), asked, 1.0, time.monotonic() + 20, tools=("nc",))
    assert got.tool == "nc -z"
    assert got.states == {(web1, 22): State.OPEN, (web1, 443): State.OPEN,
                          (web1, 80): State.TIMEOUT, (edit1, 8443): State.REFUSED}


def test_ssh_vantage_with_bash_runs_no_rc_files(lab: Lab) -> None:
    web1, log = lab.host("web1"), lab.dir / "bashrc-admins.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    got = ssh_attempts(settings(lab), [(web1, p) for p in (22, 443, 80)], 1.0,
                       time.monotonic() + 20)
    assert got.tool == "bash /dev/tcp" and got.states[(web1, 22)] is State.OPEN
    assert len(log.read_text().splitlines()) == before + 1  # the login shell's, no more


def _how(result: ScanResult, pair: str) -> str:
    """How the probe established the pair's flows.open (its own log)."""
    fact = result.service(f"{pair}/flow").fact("flows.open")
    assert fact is not None
    return how(fact)
