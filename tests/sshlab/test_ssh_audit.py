"""The unauthenticated SSH audit against real sshd servers, and against the ssh-audit tool."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.demo.sshd import Sshd
from scanner.engine import ScanOptions, run_scan
from scanner.inventory import adhoc_inventory
from scanner.models import (
    ListValue,
    Observation,
    ProbeStatus,
    ReasonCategory,
    ScanResult,
    ServiceProtocol,
    Status,
)
from scanner.probes.base import ProbeContext, ProbeTarget
from scanner.probes.ssh_audit import SshAuditProbe
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error

SSH_RULES = ("SSH-KEX-001", "SSH-KEX-002", "SSH-CIPH-001", "SSH-MAC-001", "SSH-HOSTKEY-001",
             "SSH-HOSTKEY-002", "SSH-VERSION-001")
RULES = build_ruleset([load_pack("host-baseline")])
# rule -> (fact, ssh-audit's JSON section) for the rules that judge an algorithm list
LISTS = {"SSH-KEX-001": ("ssh.kex", "kex"), "SSH-KEX-002": ("ssh.kex", "kex"),
         "SSH-CIPH-001": ("ssh.ciphers", "enc"), "SSH-MAC-001": ("ssh.macs", "mac"),
         "SSH-HOSTKEY-001": ("ssh.host_key_algorithms", "key")}
# where the two policies knowingly differ: ssh-audit also fails SHA-1 *signatures* (ssh-rsa),
# which REQ-HST-07 does not name (its RSA rule is about key size)
NOT_IN_OUR_PACK = {("key", "ssh-rsa")}


def scan(port: int) -> ScanResult:
    inventory = adhoc_inventory([f"127.0.0.1:{port}/ssh"], [], None)
    return run_scan(inventory, RULES, ScanOptions(timeout=5.0))


def statuses(result: ScanResult) -> dict[str, Status]:
    return {r.rule_id: r.status for r in result.results}


def values(result: ScanResult, fact: str) -> list[str]:
    found = result.services[0].fact(fact)
    assert found is not None and found.status is ProbeStatus.COMPLETED, found
    assert isinstance(found.value, tuple)
    return [o.value for o in found.value if isinstance(o, Observation)]


def ssh_audit(port: int) -> dict[str, Any]:
    tool = shutil.which("ssh-audit", path=str(Path(sys.executable).parent))
    assert tool is not None, "ssh-audit (test extra) is not installed"
    done = subprocess.run([tool, "--skip-rate-test", "-j", "-p", str(port), "127.0.0.1"],
                          capture_output=True, text=True, timeout=60)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def audit_flags(report: dict[str, Any], section: str, level: tuple[str, ...]) -> set[str]:
    return {a["algorithm"] for a in report[section]
            if any(a.get("notes", {}).get(n) for n in level)}


def test_weak_server_fails_every_ssh_rule(weak_sshd: Sshd) -> None:
    result = scan(weak_sshd.port)
    got = statuses(result)
    assert {r: got[r] for r in SSH_RULES} == {
        "SSH-KEX-001": Status.FAIL, "SSH-KEX-002": Status.FAIL, "SSH-CIPH-001": Status.FAIL,
        "SSH-MAC-001": Status.FAIL, "SSH-HOSTKEY-001": Status.FAIL,
        "SSH-HOSTKEY-002": Status.FAIL, "SSH-VERSION-001": Status.PASS}
    assert "ssh-rsa 2048" in values(result, "ssh.host_keys")
    by_rule = {r.rule_id: r for r in result.results}
    assert "3des-cbc" in {o.value for o in by_rule["SSH-CIPH-001"].evidence[0].decisive}
    assert result.services[0].probes[0].connections == 3  # KEXINIT, Ed25519 key, RSA key


def test_hardened_server_passes_every_ssh_rule(hardened_sshd: Sshd) -> None:
    result = scan(hardened_sshd.port)
    assert {r: statuses(result)[r] for r in SSH_RULES} == dict.fromkeys(SSH_RULES, Status.PASS)
    assert sorted(values(result, "ssh.host_keys")) == ["ssh-ed25519 256", "ssh-rsa 3072"]


@pytest.mark.parametrize("server", ["weak_sshd", "hardened_sshd"])
def test_same_findings_as_ssh_audit(server: str, request: pytest.FixtureRequest) -> None:
    sshd: Sshd = request.getfixturevalue(server)
    ours, theirs = scan(sshd.port), ssh_audit(sshd.port)
    assert ours.services[0].fact("ssh.ident").value == theirs["banner"]["raw"]  # type: ignore
    for fact, section in set(LISTS.values()):  # both read the same KEXINIT
        assert values(ours, fact) == [a["algorithm"] for a in theirs[section]], section
    rsa = {a["keysize"] for a in theirs["key"] if a["algorithm"].startswith(("rsa", "ssh-rsa"))}
    assert {int(v.split()[1]) for v in values(ours, "ssh.host_keys")
            if v.startswith("ssh-rsa")} == rsa
    by_rule = {r.rule_id: r for r in ours.results}
    for rule, (fact, section) in LISTS.items():
        params = RULES.rules[[r.info.id for r in RULES.rules].index(rule)].params["weak"]
        assert isinstance(params, tuple)
        ours_flagged = set(values(ours, fact)) & {str(p) for p in params}
        assert (by_rule[rule].status is Status.FAIL) == bool(ours_flagged), rule
        # everything we flag, ssh-audit flags too (as a failure or a warning) ...
        assert ours_flagged <= audit_flags(theirs, section, ("fail", "warn")), rule
    # ... and everything ssh-audit fails, one of our rules fails (known differences aside)
    for _, section in LISTS.values():
        flagged_by_us = {v for rule, (fact, sec) in LISTS.items() if sec == section
                         for v in _items(by_rule[rule].evidence[0].actual)
                         if by_rule[rule].status is Status.FAIL and v in
                         {str(p) for p in RULES.rules[[r.info.id for r in RULES.rules]
                                                      .index(rule)].params["weak"]}}
        failed = {a for a in audit_flags(theirs, section, ("fail",))
                  if (section, a) not in NOT_IN_OUR_PACK}
        assert failed <= flagged_by_us, (section, failed - flagged_by_us)
    rsa_small = any(a["algorithm"].startswith("rsa") and a.get("keysize", 4096) < 3072
                    for a in theirs["key"])
    assert (by_rule["SSH-HOSTKEY-002"].status is Status.FAIL) == rsa_small
    if server == "hardened_sshd":
        assert not any(audit_flags(theirs, s, ("fail",)) for s in ("kex", "enc", "mac", "key"))


# ---- hostile servers ----------------------------------------------------------------------

@pytest.fixture
def talker() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server that sends each queued chunk then (for None) keeps sending forever."""
    script: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    for chunk in script:
                        conn.sendall(chunk)
                    while not stop.is_set():
                        conn.sendall(b"Welcome to a very chatty server\r\n")
                        time.sleep(0.001)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], script
    stop.set()
    thread.join(5)
    server.close()


def probe(port: int, budget: float = 20.0,
          category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR) -> dict[str, str]:
    target = ProbeTarget("127.0.0.1", port, ServiceProtocol.SSH, None, "127.0.0.1")
    ctx = ProbeContext(timeout=2.0, deadline=time.monotonic() + budget)
    facts = SshAuditProbe().run(target, SshAuditProbe.provides, ctx, {})
    assert facts
    for fact in facts:
        assert_error(fact, category, "")
    return {f.name: f.reason or "" for f in facts}


def test_endless_banner_is_an_error_not_a_hang(talker: tuple[int, list[bytes]]) -> None:
    port, _ = talker
    assert "endless banner" in probe(port)["ssh.kex"]


def test_garbage_after_the_banner_is_an_error(talker: tuple[int, list[bytes]]) -> None:
    port, script = talker
    script.append(b"SSH-2.0-Evil\r\n" + b"\xff" * 64)
    assert "malformed first packet" in probe(port)["ssh.ciphers"]


def test_not_ssh_is_an_error(talker: tuple[int, list[bytes]]) -> None:
    port, script = talker
    script.append(b"SSH-1.5-Ancient\r\n")
    assert "not an SSH-2 server" in probe(port)["ssh.ident"]


def _items(value: object) -> tuple[str | int, ...]:
    """The values of a list evidence value (what the rule saw)."""
    return value.items if isinstance(value, ListValue) else ()
