"""Shared by the history tests: a service whose configuration changes between scans."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.demo.servers import ServerSpec, start_servers
from tests.conftest import NAME, TlsPki

TLS_ONLY = ["--no-default-rules", "--rules", "saas-baseline"]


def files(pki: TlsPki, leaf: str = "good") -> dict[str, Any]:
    """Certificate files, and the groups every TLS rule of saas-baseline wants."""
    f = getattr(pki, leaf)
    return {"chain_pem": str(f.chain_pem), "key_pem": str(f.key_pem),
            "groups": "P-256:P-384:P-521"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def inventory_text(ports: dict[str, int], extra: str = "") -> str:
    lines = ["rempart: 1", "contract: {customer: History Test, end_date: 2027-01-01}",
             "scope: [127.0.0.0/8]", "hosts:"]
    for name, port in ports.items():
        lines += [f"  - name: {name}", "    address: 127.0.0.1", f"    dns_name: {NAME}",
                  "    services:", f"      - {{port: {port}, protocol: https}}"]
    return "\n".join(lines) + "\n" + extra


def scan_with(specs: Sequence[ServerSpec], workdir: Path, db: str, pki: TlsPki,
              *extra: str) -> Result:
    """Start `specs` (fixed ports), scan `inventory.yaml` of `workdir` into `db`, stop them."""
    with start_servers(list(specs), workdir / "servers") as srv:
        for spec in specs:
            assert srv.port(spec.name) == spec.port, "the fixed port was taken"
        return CliRunner().invoke(main, [
            "scan", str(workdir / "inventory.yaml"), *TLS_ONLY, "--db", db, "-q",
            "--timeout", "2", "--ca-file", str(pki.ca.cert_pem), *extra])
