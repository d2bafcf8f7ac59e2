"""The opt-in TLS packs are listed by `rempart rules list` and load on demand."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scanner.cli import main


@pytest.mark.parametrize(("pack", "rule"), [
    ("tls-hardening", "TLS-KX-001"),
    ("tls-vulnerabilities", "VULN-HEARTBLEED-001"),
    ("dns-migration", "DNS-MIGR-001"),
])
def test_opt_in_pack_listed_and_loaded(pack: str, rule: str) -> None:
    plain = CliRunner().invoke(main, ["rules", "list"])
    assert plain.exit_code == 0
    assert f"- {pack} " in plain.output and f"opt-in: --rules {pack}" in plain.output
    assert rule not in plain.output
    loaded = CliRunner().invoke(main, ["rules", "list", "--rules", pack])
    assert loaded.exit_code == 0
    assert f"* {pack} " in loaded.output
    assert any(line.startswith(rule) for line in loaded.output.splitlines())
