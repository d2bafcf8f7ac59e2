"""The demo estate: a small SaaS platform like the one the source documents describe.

Each host gets its own loopback address (127.0.0.11, .12, …) so that its port scan sees only
its own listeners; ports are chosen by the OS at start-up and written into the inventory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.demo.pki import LeafFiles, issue_leaf, make_ca, write_dh_params
from scanner.demo.servers.spec import ServerSpec

DOMAIN = "demo.rempart.test"
# The port scan covers Redis's port and the range the OS picks listening ports from, not the
# machine's own services on 0.0.0.0 (they would show on every loopback address).
SCAN_PORTS = "6379,32768-60999"
P_CURVES = "P-256:P-384:P-521"
MODERN = "ECDHE+AESGCM:ECDHE+CHACHA20"
HSTS = ("Strict-Transport-Security: max-age=63072000; includeSubDomains",)


@dataclass(frozen=True)
class DemoService:
    protocol: str  # inventory protocol
    spec: ServerSpec
    protected_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoHost:
    name: str  # inventory host name, also the DNS label
    address: str
    zone: str  # its place in the white paper's matrix
    story: str  # what the demo shows with it
    services: tuple[DemoService, ...]
    extra: tuple[ServerSpec, ...] = ()  # listeners the role does not allow

    @property
    def dns_name(self) -> str:
        return f"{self.name}.{DOMAIN}"


@dataclass(frozen=True)
class Estate:
    ca_file: Path
    contract_end: dt.date
    hosts: tuple[DemoHost, ...]

    def specs(self) -> list[ServerSpec]:
        return [s.spec for h in self.hosts for s in h.services] + [
            x for h in self.hosts for x in h.extra]


def build_estate(pki_dir: Path, today: dt.date | None = None) -> Estate:
    today = today or dt.datetime.now(dt.UTC).date()
    ca = make_ca(pki_dir, "Rempart Demo CA")
    now = dt.datetime.now(dt.UTC)

    def tls(name: str, address: str, *, days: int = 400, self_signed: bool = False,
            **kw: Any) -> ServerSpec:
        leaf: LeafFiles = issue_leaf(ca, pki_dir, name, dns_names=[f"{name}.{DOMAIN}"],
                                     not_after=now + dt.timedelta(days=days),
                                     self_signed=self_signed)
        settings: dict[str, Any] = {"min_version": "TLSv1.2", "max_version": "TLSv1.3",
                                    "ciphers": MODERN, "groups": P_CURVES, **kw}
        return ServerSpec(name=name, host=address, chain_pem=str(leaf.chain_pem),
                          key_pem=str(leaf.key_pem), **settings)

    def redirect(name: str, address: str) -> ServerSpec:
        return ServerSpec(name=f"{name}-http", engine="http", host=address,
                          redirect_to=f"https://{name}.{DOMAIN}/")

    hosts = (
        DemoHost("presentation", "127.0.0.11", "presentation",
                 "compliant: TLS 1.2/1.3, P-256/384/521, trusted certificate, HSTS, "
                 "HTTP redirected, /phpmyadmin/ behind authentication",
                 (DemoService("https", tls("presentation", "127.0.0.11", http_headers=HSTS,
                                           protected_paths=("/phpmyadmin/",)),
                              ("/phpmyadmin/",)),
                  DemoService("http", redirect("presentation", "127.0.0.11")))),
        DemoHost("edition", "127.0.0.12", "edition",
                 "editing server still offering TLS 1.0/1.1, no HSTS, a public /preprod/, "
                 "an unexpected Redis port, and reachable from the users' zone",
                 (DemoService("https", tls("edition", "127.0.0.12", min_version="TLSv1.0",
                                           ciphers="DEFAULT:@SECLEVEL=0"), ("/preprod/",)),),
                 extra=(ServerSpec(name="edition-redis", engine="redis", host="127.0.0.12",
                                   port=6379),)),
        DemoHost("mail-relay", "127.0.0.13", "mail",
                 "mail relay with STARTTLS still accepting 3DES",
                 (DemoService("smtp", ServerSpec(
                     name="mail-relay", engine="tlslite", mode="smtp", host="127.0.0.13",
                     **_files(issue_leaf(ca, pki_dir, "mail-relay",
                                         dns_names=[f"mail-relay.{DOMAIN}"],
                                         not_after=now + dt.timedelta(days=400))),
                     min_version="TLSv1.2", max_version="TLSv1.2", groups=P_CURVES,
                     tlslite_ciphers=("aes256gcm", "aes128gcm", "3des"))),)),
        DemoHost("customer-domain", "127.0.0.14", "presentation",
                 "customer's own domain served with a self-signed certificate",
                 (DemoService("https", tls("customer-domain", "127.0.0.14", self_signed=True,
                                           http_headers=HSTS)),
                  DemoService("http", redirect("customer-domain", "127.0.0.14")))),
        DemoHost("api-lps", "127.0.0.15", "presentation",
                 "certificate expiring before the contract end; curves P-384/P-521 missing",
                 (DemoService("https", tls("api-lps", "127.0.0.15", days=60,
                                           groups="X25519:P-256", http_headers=HSTS)),
                  DemoService("http", redirect("api-lps", "127.0.0.15")))),
        DemoHost("file-transfer", "127.0.0.16", "presentation",
                 "FTPES (AUTH TLS required before login) but DHE with a 1024-bit group",
                 (DemoService("ftp", ServerSpec(
                     name="file-transfer", engine="ftp", host="127.0.0.16",
                     **_files(issue_leaf(ca, pki_dir, "file-transfer",
                                         dns_names=[f"file-transfer.{DOMAIN}"],
                                         not_after=now + dt.timedelta(days=400))),
                     ftp_tls_required=True, groups=P_CURVES,
                     dh_params=str(write_dh_params(pki_dir / "dh1024.pem", 1024)),
                     ciphers="ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:"
                             "@SECLEVEL=0")),)),
    )
    return Estate(ca_file=ca.cert_pem, contract_end=today + dt.timedelta(days=365), hosts=hosts)


def _files(leaf: LeafFiles) -> dict[str, Any]:
    return {"chain_pem": str(leaf.chain_pem), "key_pem": str(leaf.key_pem)}


def inventory_yaml(estate: Estate, ports: dict[str, int]) -> str:
    """The inventory of the running estate, with the ports the OS chose."""
    lines = [
        "# Demo estate written by `rempart demo`; each host has its own loopback address.",
        "rempart: 1",
        "contract:",
        "  customer: Clinique Exemple (demo)",
        f"  end_date: {estate.contract_end.isoformat()}",
        "scope: [127.0.0.0/8]",
        "roles:  # deny by default: the ports each host may expose",
    ]
    for h in estate.hosts:
        allowed = ", ".join(f"{ports[s.spec.name]}/tcp" for s in h.services)
        lines.append(f"  {h.name}: {{allowed_ports: [{allowed}]}}")
    lines += [
        "zones:  # the external flow matrix; users and admins test from this machine",
        "  users: {vantage: local}",
        "  admins: {vantage: local}",
    ]
    for h in estate.hosts:  # one zone per host: each listens on its own port
        lines.append(f"  {h.name}: {{hosts: [{h.name}]}}")
    lines.append("flows:  # users -> presentation and mail, functional admins -> editing too")
    for h in estate.hosts:
        sources = ("admins",) if h.zone == "edition" else ("users", "admins")
        for src in sources:
            for s in h.services:  # HTTPS, and the port-80 redirect where there is one
                lines.append(f"  - {{from: {src}, to: {h.name}, port: {ports[s.spec.name]}/tcp}}")
    lines.append("hosts:")
    for h in estate.hosts:
        lines += [
            f"  - name: {h.name}  # {h.story}",
            f"    address: {h.address}",
            f"    dns_name: {h.dns_name}",
            f"    role: {h.name}",
            "    services:",
        ]
        for s in h.services:
            extra = (f", protected_urls: [{', '.join(s.protected_urls)}]"
                     if s.protected_urls else "")
            lines.append(f"      - {{port: {ports[s.spec.name]}, protocol: {s.protocol}{extra}}}")
    return "\n".join(lines) + "\n"
