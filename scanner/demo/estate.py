"""The demo estate: a small SaaS platform like the one the source documents describe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.demo.pki import CertAuthority, LeafFiles, issue_leaf, make_ca
from scanner.demo.servers.spec import ServerSpec

DOMAIN = "demo.rempart.test"
P_CURVES = "P-256:P-384:P-521"
MODERN = "ECDHE+AESGCM:ECDHE+CHACHA20"


@dataclass(frozen=True)
class DemoService:
    host: str  # inventory host name, also the DNS label
    role: str
    protocol: str  # inventory protocol
    spec: ServerSpec
    story: str  # what the demo shows with it


@dataclass(frozen=True)
class Estate:
    ca: CertAuthority
    contract_end: dt.date
    services: tuple[DemoService, ...]


def build_estate(pki_dir: Path, today: dt.date | None = None) -> Estate:
    today = today or dt.datetime.now(dt.UTC).date()
    contract_end = today + dt.timedelta(days=365)
    ca = make_ca(pki_dir, "Rempart Demo CA")
    now = dt.datetime.now(dt.UTC)

    def leaf(name: str, *, days: int = 400, self_signed: bool = False) -> LeafFiles:
        return issue_leaf(ca, pki_dir, name, dns_names=[f"{name}.{DOMAIN}"],
                          not_after=now + dt.timedelta(days=days), self_signed=self_signed)

    def files(lf: LeafFiles) -> dict[str, Any]:
        return {"chain_pem": str(lf.chain_pem), "key_pem": str(lf.key_pem)}

    good: dict[str, Any] = {"min_version": "TLSv1.2", "max_version": "TLSv1.3", "ciphers": MODERN,
            "groups": P_CURVES}
    services = (
        DemoService("presentation", "presentation", "https",
                    ServerSpec(name="presentation", **files(leaf("presentation")), **good),
                    "compliant: TLS 1.2/1.3, P-256/384/521, trusted certificate"),
        DemoService("edition", "edition", "https",
                    ServerSpec(name="edition", **files(leaf("edition")), min_version="TLSv1.0",
                               max_version="TLSv1.3", ciphers="DEFAULT:@SECLEVEL=0",
                               groups=P_CURVES),
                    "editing server still offering TLS 1.0 and 1.1"),
        DemoService("mail-relay", "mail", "smtp",
                    ServerSpec(name="mail-relay", engine="tlslite", mode="smtp",
                               **files(leaf("mail-relay")), min_version="TLSv1.2",
                               max_version="TLSv1.2", groups=P_CURVES,
                               tlslite_ciphers=("aes256gcm", "aes128gcm", "3des")),
                    "mail relay with STARTTLS still accepting 3DES"),
        DemoService("customer-domain", "presentation", "https",
                    ServerSpec(name="customer-domain",
                               **files(leaf("customer-domain", self_signed=True)), **good),
                    "customer's own domain served with a self-signed certificate"),
        DemoService("api-lps", "api", "https",
                    ServerSpec(name="api-lps", **files(leaf("api-lps", days=60)),
                        min_version="TLSv1.2", max_version="TLSv1.3", ciphers=MODERN,
                        groups="X25519:P-256"),
                    "certificate expiring before the contract end; curves P-384/P-521 missing"),
    )
    return Estate(ca=ca, contract_end=contract_end, services=services)


def inventory_yaml(estate: Estate, ports: dict[str, int]) -> str:
    """The inventory of the running estate (ports are chosen by the OS at start-up)."""
    lines = [
        "# Demo estate written by `rempart demo`; every service listens on 127.0.0.1.",
        "rempart: 1",
        "contract:",
        "  customer: Clinique Exemple (demo)",
        f"  end_date: {estate.contract_end.isoformat()}",
        "scope: [127.0.0.0/8]",
        "hosts:",
    ]
    for svc in estate.services:
        lines += [
            f"  - name: {svc.host}  # {svc.story}",
            "    address: 127.0.0.1",
            f"    dns_name: {svc.host}.{DOMAIN}",
            f"    role: {svc.role}",
            "    services:",
            f"      - {{port: {ports[svc.spec.name]}, protocol: {svc.protocol}}}",
        ]
    return "\n".join(lines) + "\n"
