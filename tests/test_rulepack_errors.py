"""A broken rule pack is refused with file:line:column: field: what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from scanner.yamlsrc import SourceError

HEAD = """\
rempart: 1
pack: {id: mine, version: "1", title: Mine}
sources: {DOC: {title: Our policy}}
requirements:
  REQ-TLS-01: {text: Old protocols refused, source: DOC}
rules:
"""
RULE = """\
  - id: MY-PROTO-001
    title: No SSL
    severity: {severity}
    requirements: [REQ-TLS-01]
    check: {check}
    rationale: because
    remediation: fix it
"""


def pack(severity: str = "high", check: str = "{fact: tls.protocols, none_of: [SSLv3]}") -> str:
    return HEAD + RULE.format(severity=severity, check=check)


CASES = [
    (pack(severity="severe"), "5", "9:15: rules[0].severity: expected one of: critical, high, "
     "medium, low, info; got 'severe'"),
    (pack(check="{fact: tls.protocol, none_of: [SSLv3]}"), "",
     "11:19: rules[0].check.fact: unknown fact 'tls.protocol'; expected one of: "),
    (pack(check="{fact: tls.protocols, none_of: [SSLv4]}"), "",
     "11:43: rules[0].check.none_of: unknown value 'SSLv4' for fact 'tls.protocols'; expected "
     "any of: SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3"),
    (pack(check="{fact: cert.trusted, at_least: 3}"), "",
     "11:43: rules[0].check.at_least: operator 'at_least' does not apply to bool fact "
     "'cert.trusted'; expected one of: equals"),
    (pack(check="{fact: tls.protocols, nne_of: [SSLv3]}"), "",
     "11:34: rules[0].check.nne_of: unknown field 'nne_of'; expected one of: after, all, "),
    (pack(check="{fact: cert.not_after, after: '${params.nope}'}"), "",
     "11:42: rules[0].check.after: unknown parameter 'nope'; the rule's params are: (none)"),
    (pack(check="{fact: cert.key_bits, at_least: many}"), "",
     "11:44: rules[0].check.at_least: expected an integer; got 'many'"),
    (HEAD + RULE.format(severity="high", check="{fact: cert.present, equals: true}") * 2, "",
     "14:9: rules[1].id: duplicate rule ID MY-PROTO-001 (first defined at line 7)"),
    (HEAD.replace("REQ-TLS-01: {", "REQ-TLS-1: {") + RULE.format(
        severity="high", check="{fact: cert.present, equals: true}"), "",
     "5:3: requirements: expected a requirement ID like REQ-TLS-01; got 'REQ-TLS-1'"),
    (pack().replace("    rationale: because\n", ""), "",
     "7:5: rules[0]: missing required field 'rationale'"),
    ("rempart: 1\npack: {id: mine, version: '1', title: Mine\n", "",
     "3:1: (yaml): invalid YAML: while parsing a flow mapping did not find expected ',' or '}'"),
    (pack() + "overrides:\n  - {rule: TLS-PROTO-999, enabled: false}\n", "",
     "15:5: overrides[0].rule: override of unknown rule TLS-PROTO-999; loaded rules are: "),
    (pack() + "overrides:\n  - {rule: TLS-GROUP-001, params: {allowed: [P-999]}}\n", "",
     "15:5: overrides[0].params: unknown value 'P-999' for fact 'tls12.groups'"),
    (pack().replace("[REQ-TLS-01]", "[REQ-TLS-77]"), "",
     "7:5: MY-PROTO-001.requirements: MY-PROTO-001 cites REQ-TLS-77, which no loaded pack "
     "declares"),
]


@pytest.mark.parametrize(("text", "_unused", "expected"), CASES,
                         ids=[c[2].split(": ")[1] for c in CASES])
def test_pack_error_message(tmp_path: Path, text: str, _unused: str, expected: str) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        build_ruleset([load_pack("saas-baseline"), load_pack(str(path))])
    assert str(info.value).startswith(f"{path}:{expected}"), str(info.value)


def test_cli_refuses_bad_pack_with_status_2_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(pack(severity="severe"))
    out = CliRunner().invoke(main, ["rules", "validate", str(path)])
    assert out.exit_code == 2
    assert f"{path}:9:15: rules[0].severity: expected one of" in out.output
    assert "Traceback" not in out.output


def test_overrides_change_params_and_disable(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(pack() + "overrides:\n"
                    "  - {rule: TLS-GROUP-002, params: {required: [P-256]}}\n"
                    "  - {rule: CERT-SIG-001, enabled: false, reason: legacy appliance}\n"
                    "  - {rule: TLS-PROTO-002, severity: low}\n")
    rules = {r.info.id: r for r in
             build_ruleset([load_pack("saas-baseline"), load_pack(str(path))]).rules}
    assert rules["TLS-GROUP-002"].params["required"] == ("P-256",)
    assert "CERT-SIG-001" not in rules
    assert rules["TLS-PROTO-002"].info.severity.value == "low"
    assert "MY-PROTO-001" in rules


def test_builtin_pack_cites_every_tls_and_cert_requirement() -> None:
    p = load_pack("saas-baseline")
    cited = {req for r in p.rules for req in r.info.requirements}
    wanted = {f"REQ-TLS-0{i}" for i in range(1, 10)} | {f"REQ-CRT-0{i}" for i in range(1, 6)}
    assert wanted <= cited
    assert all(r.info.sources for r in p.rules)
