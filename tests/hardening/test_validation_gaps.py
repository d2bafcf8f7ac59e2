"""Inputs that used to be accepted and led to wrong or empty checks: each refused with its
field and line (exit status 2), or, for a contract that already ended, warned about and judged
`error` instead of a trivial pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.models import Fact, ProbeStatus
from scanner.rulepack.conditions import Dynamic, evaluate_condition
from tests.hardening.test_input_bounds import INVENTORY, PACK

NETWORK = INVENTORY.replace("    address: 127.0.0.1\n",
                            "    address: 127.0.0.1\n    role: web\n") + """\
roles:
  web: {allowed_ports: ["443/tcp"]}
zones:
  users: {vantage: local}
  dmz: {hosts: [web]}
flows:
  - {from: users, to: dmz, port: 443/tcp}
mail:
  dns_server: 127.0.0.1
"""


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(main, list(args))
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    assert "Traceback" not in out.output
    return out.exit_code, out.output


def validate(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    return run("inventory", "validate", str(path))


def test_the_network_inventory_is_valid(tmp_path: Path) -> None:
    status, output = validate(tmp_path, NETWORK)
    assert status == 0, output


@pytest.mark.parametrize(("old", "new", "where"), [
    ('["443/tcp"]', '["0/tcp"]', "10:25: roles.web.allowed_ports[0]: port 0 is out of range"),
    ('["443/tcp"]', '["99999/udp"]',
     "10:25: roles.web.allowed_ports[0]: port 99999 is out of range"),
    ("port: 443/tcp}", "port: 0/tcp}", "15:34: flows[0].port: port 0 is out of range"),
    ("port: 443/tcp}", "port: 99999/tcp}", "15:34: flows[0].port: port 99999 is out of range"),
    ("dns_server: 127.0.0.1", 'dns_server: "foo;id"', "17:15: mail.dns_server: expected"),
], ids=["role-0", "role-99999", "flow-0", "flow-99999", "dns-server"])
def test_out_of_range_ports_and_bad_resolvers_are_refused(tmp_path: Path, old: str, new: str,
                                                          where: str) -> None:
    status, output = validate(tmp_path, NETWORK.replace(old, new))
    assert status == 2, output
    assert f"inv.yaml:{where}" in output


@pytest.mark.parametrize("ports", ["0", "99999", "1-99999", "0-80", "100-10", "80,", "1--2"])
def test_bad_port_specs_are_usage_errors(ports: str) -> None:
    status, output = run("scan", "--target", "127.0.0.1:1", "--ports", ports, "-q")
    assert status == 2, output
    assert "--ports" in output
    assert "Verdict" not in output


@pytest.mark.parametrize("protocol", ["host", "flow", "spf"])
def test_targets_are_network_services_only(protocol: str) -> None:
    status, output = run("scan", "--target", f"127.0.0.1:443/{protocol}", "-q")
    assert status == 2, output
    assert f"'{protocol}' is not a service protocol" in output


def test_impossible_date_in_a_pack_names_its_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.replace("    params: {PARAMS}\n", "").replace(
        'check: {fact: tls.protocols, none_of: "${params.a}"}',
        "check: {fact: cert.not_after, after: 2027-02-30}"))
    status, output = run("rules", "validate", str(path))
    assert status == 2, output
    assert f"{path}:11:42: rules[0].check.after: expected a date" in output
    assert "'2027-02-30'" in output


def test_a_contract_already_ended_is_warned_about(tmp_path: Path) -> None:
    status, output = validate(tmp_path, INVENTORY.replace(
        "customer: Example}", "customer: Example, end_date: 2020-01-31}"))
    assert status == 0, output
    assert "warning: " in output
    assert "contract.end_date 2020-01-31 is already past" in output


def test_a_contract_already_ended_makes_the_term_rule_an_error() -> None:
    """CERT-EXPIRY-001 compares not_after with ${contract.end_date}: a certificate valid for
    a year would trivially outlive a contract that ended last year. That is not evidence."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    fact = Fact(name="cert.not_after", status=ProbeStatus.COMPLETED,
                value=now + dt.timedelta(days=365))
    facts = {"cert.not_after": fact}

    def judged(end: dt.date) -> bool | None:
        dyn = Dynamic(scan_time=now, contract_end=end)
        return evaluate_condition("cert.not_after", "on_or_after", "${contract.end_date}",
                                  facts, {}, dyn).ok

    assert judged(dt.date(2027, 6, 30)) is True  # a real term: judged
    assert judged(dt.date(2026, 12, 1)) is True  # ends today: still judged
    assert judged(dt.date(2025, 6, 30)) is None  # already past: cannot say (error)
