"""Host checks over real SSH sessions into prepared hosts: every host rule passes on the
compliant host and fails on the other; failures of the session are errors, never passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.engine import ScanOptions, run_scan
from scanner.inventory import load_inventory
from scanner.models import ProbeStatus, ScanResult, Status
from scanner.probes.base import ProbeOptions
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.sshlab.hostlab import HostLab, missing_requirements
from tests.sshlab.states import bad_state, good_state, inventory, prepare_backups

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
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostdata")
    for name in ("good", "bad"):
        prepare_backups(root / name, good=name == "good")
    return {"good": root / "good", "bad": root / "bad"}


def scan(lab: HostLab, data: dict[str, Path], tmp_path: Path, timeout: float = 3.0,
         **access: object) -> ScanResult:
    path = tmp_path / "inventory.yaml"
    path.write_text(inventory(lab, data, **access))
    inv = load_inventory(path)
    options = ScanOptions(timeout=timeout, service_budget=90,
                          probe=ProbeOptions(ssh_access={a.host: a for a in inv.ssh_access}))
    return run_scan(inv, RULES, options)


def verdicts(result: ScanResult, host: str) -> dict[str, Status]:
    return {r.rule_id: r.status for r in result.results if r.service == f"{host}/inside"}


def test_every_host_rule_passes_and_fails_against_real_sessions(
        lab: HostLab, data: dict[str, Path], tmp_path: Path) -> None:
    result = scan(lab, data, tmp_path)
    good, bad = verdicts(result, "good"), verdicts(result, "bad")
    messages = {r.rule_id: r.message for r in result.results if r.service == "good/inside"}
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
    assert "sudo -n nft -j list ruleset" in facts["host.firewall_policy"].summary
    sudoers = facts["host.sudo_accounts"]  # /etc/sudoers is root-only and not in `sudo:`
    assert sudoers.status is ProbeStatus.ERROR and "not permitted" in (sudoers.reason or "")
    assert verdicts(result, "good")["HST-ACCT-002"] is Status.ERROR
    sshd = facts["host.sshd_permit_root_login"]  # sshd -T needs root: the files are read
    assert sshd.value == "prohibit-password" and "configuration files" in sshd.summary


def test_without_sudo_the_firewall_rule_is_an_error(
        lab: HostLab, data: dict[str, Path], tmp_path: Path) -> None:
    result = scan(lab, data, tmp_path, user="rmpscan")
    fact = result.service("bad/inside").fact("host.firewall_policy")
    assert fact is not None and fact.status is ProbeStatus.ERROR
    assert "not permitted" in (fact.reason or "")
    assert verdicts(result, "bad")["HST-FW-001"] is Status.ERROR


@pytest.mark.parametrize(("mode", "reason"), [
    ("hang", "timed out on the host"),
    ("flood", "output longer than"),
    ("missing", "command not found"),
])
def test_misbehaving_command_is_an_error_for_its_rule_only(
        lab: HostLab, data: dict[str, Path], tmp_path: Path, mode: str, reason: str) -> None:
    host = lab.hosts["good"]
    host.ss_mode(mode)
    try:
        result = scan(lab, data, tmp_path, timeout=1.5)
    finally:
        host.ss_mode("")
    got = verdicts(result, "good")
    assert got["HST-SOCK-001"] is Status.ERROR
    assert reason in next(r.message for r in result.results
                          if r.rule_id == "HST-SOCK-001" and r.service == "good/inside")
    assert got["HST-FW-001"] is Status.PASS  # the other commands still answered
