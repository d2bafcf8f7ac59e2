"""`rempart rules list|show|validate` and `--help` examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main

PACK = """\
rempart: 1
pack: {id: mine, version: "2", title: Mine}
sources: {P: {title: Policy}}
requirements:
  REQ-TLS-10: {text: TLS 1.3 offered, source: P}
rules:
  - id: MY-PROTO-101
    title: TLS 1.3 is offered
    severity: low
    requirements: [REQ-TLS-10]
    check: {fact: tls.protocols, all_of: [TLSv1.3]}
    rationale: r
    remediation: m
overrides:
  - {rule: CERT-SIG-001, enabled: false, reason: legacy appliance}
"""


def test_rules_list_shows_every_pack_and_disabled_rules(tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(PACK)
    out = CliRunner().invoke(main, ["rules", "list", "--rules", str(pack)])
    assert out.exit_code == 0
    ids = [line.split()[0] for line in out.output.splitlines()]
    assert {"TLS-PROTO-001", "NET-FLOW-002", "MY-PROTO-101"} <= set(ids)
    assert f"CERT-SIG-001       disabled  by {pack}:15 (legacy appliance)" in out.output


def test_rules_show_explains_a_rule() -> None:
    out = CliRunner().invoke(main, ["rules", "show", "TLS-GROUP-001"])
    assert out.exit_code == 0
    assert "requirements: REQ-TLS-07, REQ-TLS-09" in out.output
    assert "params:       allowed = [P-256, P-384, P-521]" in out.output
    assert "check:        tls12.groups subset_of ${params.allowed}" in out.output
    missing = CliRunner().invoke(main, ["rules", "show", "NOPE-000"])
    assert missing.exit_code == 2 and "no rule NOPE-000" in missing.output


def test_rules_validate_accepts_a_good_pack(tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(PACK)
    out = CliRunner().invoke(main, ["rules", "validate", str(pack)])
    assert out.exit_code == 0, out.output
    assert f"{pack}: OK (1 rules, 1 overrides)" in out.output


@pytest.mark.parametrize("command", [[], ["scan"], ["report"], ["rules"], ["rules", "list"],
                                     ["rules", "show"], ["rules", "validate"], ["inventory"],
                                     ["inventory", "validate"], ["demo"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    out = CliRunner().invoke(main, [*command, "--help"])
    assert out.exit_code == 0
    assert "Example" in out.output and "rempart " in out.output
