"""Host checks over real SSH sessions into prepared hosts: every host rule passes on the
compliant host and fails on the other; failures of the session are errors, never passes."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.formats import ReportFormat, render
from reports.json_report import load_json
from reports.wording import Wording
from scanner.demo.nshosts import HostLab, LabHost, missing_requirements
from scanner.demo.sshd import keygen
from scanner.engine import ScanOptions, probe_target, run_scan
from scanner.inventory import load_inventory
from scanner.models import (
    Backup,
    Fact,
    InsideHost,
    ProbeStatus,
    ReasonCategory,
    ScanResult,
    SshAccess,
    Status,
)
from scanner.probes.base import ProbeContext, ProbeOptions
from scanner.probes.inside.probe import InsideProbe
from scanner.probes.nmap_runner import find_nmap
from scanner.rulepack.loader import load_pack
from scanner.rulepack.model import RuleSet
from scanner.rulepack.ruleset import build_ruleset
from scanner.yamlsrc import SourceError
from tests.errors import assert_error, assert_rule_error, rule_result
from tests.sshlab.states import bad_state, good_state, inventory, mixed_state, prepare_backups
from tests.wording_help import how

RULES = build_ruleset([load_pack("host-baseline")])
HOST_RULES = sorted(r.info.id for r in RULES.rules if r.info.id.startswith(("HST-", "OPS-")))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostLab]:
    why = missing_requirements()
    if why:
        pytest.skip(why)
    lab = HostLab(tmp_path_factory.mktemp("hostlab"))
    try:
        lab.add(good_state())
        lab.add(bad_state())
        lab.add(mixed_state())
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostdata")
    for name in ("good", "bad", "mixed"):
        prepare_backups(root / name, good=name != "bad")
    return {name: root / name for name in ("good", "bad", "mixed")}


def scan(lab: HostLab, data: dict[str, Path], tmp_path: Path, timeout: float = 3.0,
         rules: RuleSet = RULES, ports: str = "22", **access: object) -> ScanResult:
    path = tmp_path / "inventory.yaml"
    path.write_text(inventory(lab, data, **access))
    inv = load_inventory(path)
    options = ScanOptions(timeout=timeout, service_budget=90, probe=ProbeOptions(ports=ports))
    return run_scan(inv, rules, options)


def verdicts(result: ScanResult, host: str) -> dict[str, Status]:
    return {r.rule_id: r.status for r in result.results if r.service == f"{host}/inside"}


def test_every_host_rule_passes_and_fails_against_real_sessions(
        lab: HostLab, data: dict[str, Path], tmp_path: Path) -> None:
    result = scan(lab, data, tmp_path)
    good, bad = verdicts(result, "good"), verdicts(result, "bad")
    messages = {r.rule_id: Wording("en").summary(r, result) for r in result.results
                if r.service == "good/inside"}
    assert good == dict.fromkeys(HOST_RULES, Status.PASS), {
        k: messages[k] for k, v in good.items() if v is not Status.PASS}
    assert bad == dict.fromkeys(HOST_RULES, Status.FAIL), bad
    facts = {f.name: f for f in result.service("bad/inside").facts}
    assert facts["host.firewall_policy"].value == "accept"
    assert {o.value for o in facts["host.listening"].value} == {  # type: ignore[union-attr]
        "22/tcp", "443/tcp", "6379/tcp"}
    assert "ext-carol" in {o.value for o in facts["host.sudo_accounts"].value}  # type: ignore
    assert facts["host.log_retention_days"].value == 15
    one = result.service("good/inside").probes
    assert [p.connections for p in one] == [1]  # one SSH session for every fact


def test_scan_account_with_sudo_for_named_commands_only(
        lab: HostLab, data: dict[str, Path], tmp_path: Path) -> None:
    result = scan(lab, data, tmp_path, user="rmpscan", sudo=("firewall",))
    facts = {f.name: f for f in result.service("good/inside").facts}
    assert facts["host.firewall_policy"].value == "drop"
    assert "sudo -n nft -j list ruleset" in how(facts["host.firewall_policy"])
    sudoers = facts["host.sudo_accounts"]  # /etc/sudoers is root-only and not in `sudo:`
    assert_error(sudoers, ReasonCategory.NOT_PERMITTED, "not permitted")
    assert_rule_error(result, rule_result(result, "HST-ACCT-002", "good/"),
                      ReasonCategory.NOT_PERMITTED, "not permitted")
    sshd = facts["host.sshd_root_password_login"]  # sshd -T needs root: the files are read
    assert sshd.value is False and "configuration files" in how(sshd)
    assert "permitrootlogin prohibit-password" in how(sshd)


def test_without_sudo_the_firewall_rule_is_an_error(
        lab: HostLab, data: dict[str, Path], tmp_path: Path) -> None:
    result = scan(lab, data, tmp_path, user="rmpscan")
    fact = result.service("bad/inside").fact("host.firewall_policy")
    assert fact is not None
    assert_error(fact, ReasonCategory.NOT_PERMITTED, "not permitted")
    assert_rule_error(result, rule_result(result, "HST-FW-001", "bad/"),
                      ReasonCategory.NOT_PERMITTED, "not permitted")


@pytest.mark.parametrize(("mode", "reason", "category"), [
    ("hang", "timed out on the host", ReasonCategory.TIMEOUT),
    ("flood", "output longer than", ReasonCategory.PROTOCOL_ERROR),
    ("missing", "command not found", ReasonCategory.TOOL_MISSING),
])
def test_misbehaving_command_is_an_error_for_its_rule_only(
        lab: HostLab, data: dict[str, Path], tmp_path: Path, mode: str, reason: str,
        category: ReasonCategory) -> None:
    host = lab.hosts["good"]
    host.ss_mode(mode)
    try:
        result = scan(lab, data, tmp_path, timeout=1.5)
    finally:
        host.ss_mode("")
    got = verdicts(result, "good")
    assert_rule_error(result, rule_result(result, "HST-SOCK-001", "good/"), category, reason)
    assert reason in next(Wording("en").summary(r, result) for r in result.results
                          if r.rule_id == "HST-SOCK-001" and r.service == "good/inside")
    assert got["HST-FW-001"] is Status.PASS  # the other commands still answered


# ---- the session itself: host keys, credentials, hostile peers and inventories -----------

def probe_facts(lab: HostLab, known_hosts: Path | None = None, key: Path | None = None,
                address: str | None = None, port: int = 22, tofu: bool = False,
                backups: tuple[Backup, ...] = (),
                wanted: frozenset[str] | None = None) -> list[Fact]:
    host = lab.hosts["good"]
    address = address or host.address
    access = SshAccess(host="good", address=address, port=port, user="root",
                       key_file=str(key or lab.client_key),
                       known_hosts=str(known_hosts or lab.known_hosts))
    target = probe_target(InsideHost(host="good", address=address, access=access,
                                     backups=backups), address)
    ctx = ProbeContext(timeout=2.0, deadline=time.monotonic() + 60,
                       options=ProbeOptions(trust_on_first_use=tofu))
    return InsideProbe().run(target, wanted or InsideProbe.provides, ctx, {})


def errors(facts: list[Fact], category: ReasonCategory) -> set[str]:
    assert facts, facts
    for fact in facts:
        assert_error(fact, category, "")
    return {f.reason or "" for f in facts}


def fingerprint(host: LabHost) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(host.dir / "ssh_host_ed25519_key.pub")],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def test_unknown_host_key_is_refused_naming_host_and_fingerprint(
        lab: HostLab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    (reason,) = errors(probe_facts(lab, known_hosts=empty), ReasonCategory.NOT_PERMITTED)
    host = lab.hosts["good"]
    assert reason.startswith(f"host key of good ({host.address}) not in {empty}")
    assert f"it presented ssh-ed25519 {fingerprint(host)}" in reason
    assert "--trust-on-first-use" in reason
    assert empty.read_text() == ""


def test_trust_on_first_use_only_when_asked(lab: HostLab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    facts = probe_facts(lab, known_hosts=empty, tofu=True,
                        wanted=frozenset({"host.firewall_policy"}))
    assert facts[0].value == "drop"
    assert empty.read_text().startswith(f"{lab.hosts['good'].address} ssh-ed25519 ")


def test_changed_host_key_and_wrong_client_key_are_refused(
        lab: HostLab, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other", "ed25519")
    wrong = tmp_path / "wrong_known_hosts"
    blob = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    wrong.write_text(f"{lab.hosts['good'].address} {blob}\n")
    (reason,) = errors(probe_facts(lab, known_hosts=wrong), ReasonCategory.NOT_PERMITTED)
    assert "does not match" in reason and fingerprint(lab.hosts["good"]) in reason
    (reason,) = errors(probe_facts(lab, key=other), ReasonCategory.NOT_PERMITTED)
    assert reason.startswith(f"SSH authentication to good ({lab.hosts['good'].address}) as "
                             f"root with key {other} refused")
    assert "PRIVATE KEY" not in reason and Path(other).read_text().split("\n")[1] not in reason


class CuttingProxy:
    """127.0.0.1:port -> the host's sshd; drops both sides once `limit` bytes came back."""

    def __init__(self, upstream: tuple[str, int], limit: int) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.upstream, self.limit = upstream, limit
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        client, _ = self.server.accept()
        up = socket.create_connection(self.upstream)
        sent = 0
        with client, up:
            while sent < self.limit:
                ready, _, _ = select.select([client, up], [], [], 10)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (up if sock is client else client).sendall(data)
                    sent += len(data) if sock is up else 0

    def close(self) -> None:
        self.server.close()
        self.thread.join(10)


def test_connection_dropped_mid_session_is_an_error(lab: HostLab, tmp_path: Path) -> None:
    host = lab.hosts["good"]
    host.ss_mode("flood")  # plenty of output, so the cut falls inside the commands' answers
    proxy = CuttingProxy((host.address, 22), limit=64 * 1024)
    known = tmp_path / "known_hosts"
    blob = " ".join((host.dir / "ssh_host_ed25519_key.pub").read_text().split()[:2])
    known.write_text(f"[127.0.0.1]:{proxy.port} {blob}\n")
    try:
        facts = {f.name: f for f in probe_facts(lab, known_hosts=known, address="127.0.0.1",
                                                port=proxy.port)}
    finally:
        host.ss_mode("")
        proxy.close()
    for name in ("host.listening", "host.ids_services", "host.login_accounts"):  # after the cut
        assert_error(facts[name], ReasonCategory.RESET, "ended before this command finished")
    assert facts["host.firewall_policy"].value == "drop"  # answered whole before the cut


def test_endless_banner_is_an_error(lab: HostLab, tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def chatter() -> None:
        conn, _ = server.accept()
        with conn, contextlib.suppress(OSError):
            while not stop.is_set():
                conn.sendall(b"please wait, still loading\r\n")
                time.sleep(0.01)

    thread = threading.Thread(target=chatter, daemon=True)
    thread.start()
    try:
        reasons = errors(probe_facts(lab, address="127.0.0.1", port=server.getsockname()[1]),
                         ReasonCategory.PROTOCOL_ERROR)
    finally:
        stop.set()
        server.close()
        thread.join(10)
    assert all("SSH connection to good (127.0.0.1)" in r for r in reasons), reasons


HOSTILE = ["/tmp/x'; touch {m}; echo '", '/tmp/x"; touch {m}; echo "', "/tmp/$(touch {m})",
           "/tmp/`touch {m}`", "/tmp/x\\' ; touch {m} #"]


def test_hostile_inventory_values_never_reach_a_shell_unquoted(
        lab: HostLab, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    paths = tuple(p.format(m=marker) for p in HOSTILE)
    facts = probe_facts(lab, backups=tuple(Backup(path=p, rpo_minutes=60) for p in paths),
                        wanted=frozenset({"host.backups_overdue"}))
    assert not marker.exists()
    assert facts[0].status is ProbeStatus.COMPLETED, facts[0].reason
    assert {o.value for o in facts[0].value} == set(paths)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["web;id", "web$(id)", "-oProxyCommand=id", "web name"])
def test_hostile_host_name_is_refused_by_the_inventory(tmp_path: Path, name: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("rempart: 1\ncontract: {customer: X}\nscope: [203.0.113.0/24]\nhosts:\n"
                    f"  - name: {json.dumps(name)}\n    address: 203.0.113.5\n"
                    "    services: [{port: 22, protocol: ssh}]\n"
                    "    inside: {user: scan, key_file: /k, known_hosts: /kh}\n")
    with pytest.raises(SourceError, match=r"hosts\[0\]\.name"):
        load_inventory(path)


@pytest.mark.skipif(find_nmap() is None, reason="nmap is not installed")
def test_inside_and_outside_side_by_side(lab: HostLab, data: dict[str, Path],
                                         tmp_path: Path) -> None:
    rules = build_ruleset([load_pack("host-baseline"), load_pack("network-baseline")])
    result = scan(lab, data, tmp_path, rules=rules, ports="22,5432,6379,8443",
                  only=("mixed",), allowed="22/tcp, 8443/tcp",
                  services="{port: 8443, protocol: https}")  # port 22 is not declared ssh
    views = {p.port: p for p in result.host_ports if p.host == "mixed"}
    assert {k: v.verdict for k, v in views.items()} == {
        "22/tcp": "ok", "5432/tcp": "filtered", "8443/tcp": "allowed_unused"}
    assert views["5432/tcp"].all_interfaces and not views["5432/tcp"].reachable
    assert "0.0.0.0" in views["5432/tcp"].inside
    assert not views["22/tcp"].all_interfaces  # sshd listens on the host's own address
    html = render(ReportFormat.HTML, result, base_dir=tmp_path, lang="en")
    assert "Listens on all interfaces but filtered" in html
    reloaded = load_json(render(ReportFormat.JSON, result, base_dir=tmp_path))
    assert reloaded.host_ports == result.host_ports
    found = result.service("mixed:22/ssh")  # identified by the exposure scan, then audited
    kex = found.fact("ssh.kex")
    assert kex is not None and kex.status is ProbeStatus.COMPLETED
    assert {r.rule_id for r in result.results if r.service == "mixed:22/ssh"} >= {
        "SSH-KEX-001", "SSH-CIPH-001", "SSH-MAC-001"}
