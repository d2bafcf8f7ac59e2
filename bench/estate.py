"""The benchmark estate: N compliant and N non-compliant TLS services on 127.0.0.1.

Services of one kind share one server process (``ServerSpec.listeners``) and one
certificate whose subjectAltName lists every DNS name of that kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.demo.pki import CertAuthority, HashKind, KeyKind, issue_leaf, make_ca
from scanner.demo.servers.spec import ServerSpec

DOMAIN = "bench.test"
HOST = "127.0.0.1"
P_CURVES = "P-256:P-384:P-521"
MODERN = "ECDHE+AESGCM:ECDHE+CHACHA20"
CONTRACT_DAYS = 365  # the contract ends this many days after the bench runs
CERT_DAYS = 400  # a good certificate outlives the contract


@dataclass(frozen=True)
class CertPlan:
    """How the leaf certificate of a kind is issued."""

    key: KeyKind = "rsa2048"
    hash: HashKind = "sha256"
    self_signed: bool = False
    valid_from_days: int = -1  # relative to now
    valid_until_days: float = CERT_DAYS
    wrong_name: bool = False  # issued for another DNS name than the services'


@dataclass(frozen=True)
class Kind:
    """One server configuration; every service of the kind behaves the same."""

    name: str
    compliant: bool
    story: str
    expected_failures: frozenset[str]  # the rules this kind is designed to break
    server: Mapping[str, Any] = field(default_factory=dict)  # ServerSpec fields
    cert: CertPlan = CertPlan()


def _kind(name: str, story: str, fails: tuple[str, ...] = (), cert: CertPlan | None = None,
          **server: Any) -> Kind:
    settings: dict[str, Any] = {"ciphers": MODERN, "groups": P_CURVES}
    settings.update(server)
    return Kind(name=name, compliant=not fails, story=story, expected_failures=frozenset(fails),
                server=settings, cert=cert or CertPlan())


COMPLIANT_KINDS: tuple[Kind, ...] = (
    _kind("good-rsa", "TLS 1.2/1.3, ECDHE AEAD suites, P-256/384/521, RSA 2048 certificate"),
    _kind("good-tls12", "TLS 1.2 only, one suite, prefers P-521", max_version="TLSv1.2",
          ciphers="ECDHE-RSA-AES256-GCM-SHA384", groups="P-521:P-384:P-256"),
    _kind("good-tlslite", "TLS 1.2/1.3 with tlslite-ng, AES-GCM, P-256/384/521",
          engine="tlslite", ciphers=None, tlslite_ciphers=("aes256gcm", "aes128gcm")),
)

NONCOMPLIANT_KINDS: tuple[Kind, ...] = (
    _kind("tls10", "TLS 1.0 and 1.1 still enabled", ("TLS-PROTO-002",),
          min_version="TLSv1.0", ciphers="DEFAULT:@SECLEVEL=0"),
    _kind("3des", "accepts 3DES (tlslite-ng)", ("TLS-CIPH-002",),
          engine="tlslite", ciphers=None, tlslite_ciphers=("aes256gcm", "aes128gcm", "3des")),
    _kind("no-p521", "curves P-256 and P-384 only", ("TLS-GROUP-002",), groups="P-256:P-384"),
    # CERT-TRUST-002 (chain to a trusted CA) leaves a self-signed leaf to CERT-TRUST-001
    _kind("self-signed", "self-signed certificate", ("CERT-TRUST-001",),
          cert=CertPlan(self_signed=True)),
    _kind("short-cert", "certificate expires before the contract end", ("CERT-EXPIRY-001",),
          cert=CertPlan(valid_until_days=60)),
    _kind("sslv3-rc4", "SSL 3.0 to TLS 1.2 with RC4 suites only (tlslite-ng)",
          ("TLS-PROTO-001", "TLS-PROTO-002", "TLS-CIPH-001", "TLS-CIPH-003"),
          engine="tlslite", ciphers=None, min_version="SSLv3", tlslite_ciphers=("rc4",)),
    _kind("ecdsa-tls12", "TLS 1.2 only with an ECDSA P-384 certificate, P-384 preferred: P-256 "
          "and P-521 are never chosen for key exchange (offered alone, the certificate's curve "
          "is missing, so sslyze sees them refused)",
          ("TLS-GROUP-002",), max_version="TLSv1.2", cert=CertPlan(key="ec384"),
          groups="P-384:P-256:P-521"),
    _kind("weak-cert", "RSA 1024 certificate signed with SHA-1", ("CERT-KEY-001", "CERT-SIG-001"),
          cert=CertPlan(key="rsa1024", hash="sha1")),
    _kind("wrong-name", "certificate issued for another name", ("CERT-NAME-001",),
          cert=CertPlan(wrong_name=True)),
    _kind("expired", "certificate expired an hour ago", ("CERT-VALID-001", "CERT-EXPIRY-001"),
          cert=CertPlan(valid_from_days=-400, valid_until_days=-1 / 24)),
    _kind("tls13-only", "TLS 1.3 only: TLS 1.2 not offered", ("TLS-PROTO-003",),
          min_version="TLSv1.3"),
)


@dataclass(frozen=True)
class BenchService:
    host: str  # inventory host name: svcNN
    dns_name: str
    kind: Kind
    port: int = 0  # known once the servers listen

    @property
    def key(self) -> str:
        """Rempart's Service.key."""
        return f"{self.host}:{self.port}/https"


@dataclass(frozen=True)
class Estate:
    ca: CertAuthority
    contract_end: dt.date
    specs: tuple[ServerSpec, ...]
    services: tuple[BenchService, ...]  # svc01, svc02, ...
    members: Mapping[str, tuple[str, ...]]  # spec name -> its services' hosts, listener order

    def with_ports(self, ports: Mapping[str, list[int]]) -> Estate:
        """The services with the ports of their server process (spec name -> ports)."""
        port_of = {host: ports[spec][i] for spec, hosts in self.members.items()
                   for i, host in enumerate(hosts)}
        services = tuple(BenchService(s.host, s.dns_name, s.kind, port_of[s.host])
                         for s in self.services)
        return Estate(self.ca, self.contract_end, self.specs, services, self.members)


def plan_services(n: int) -> list[BenchService]:
    """n compliant then n non-compliant services, cycling through the kinds."""
    kinds = [COMPLIANT_KINDS[i % len(COMPLIANT_KINDS)] for i in range(n)]
    kinds += [NONCOMPLIANT_KINDS[i % len(NONCOMPLIANT_KINDS)] for i in range(n)]
    width = max(2, len(str(len(kinds))))
    return [BenchService(f"svc{i + 1:0{width}d}", f"svc{i + 1:0{width}d}.{DOMAIN}", kind)
            for i, kind in enumerate(kinds)]


def build_estate(workdir: Path, n: int, *, per_service_process: bool = False,
                 today: dt.date | None = None) -> Estate:
    """Certificates and server specs for n + n services (nothing is started here).

    One server process per kind with one listener per service, or with
    ``per_service_process`` one process per service (exact per-port counts, more memory).
    """
    pki_dir = workdir / "pki"
    ca = make_ca(pki_dir, "Rempart Bench CA")
    today = today or dt.datetime.now(dt.UTC).date()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    planned = plan_services(n)
    groups: dict[str, list[BenchService]] = {}
    for svc in planned:
        groups.setdefault(svc.kind.name, []).append(svc)
    specs: list[ServerSpec] = []
    members_of: dict[str, tuple[str, ...]] = {}
    for kind_name, members in groups.items():
        kind = members[0].kind
        plan = kind.cert
        names = ([f"other.{DOMAIN}"] if plan.wrong_name else [s.dns_name for s in members])
        leaf = issue_leaf(ca, pki_dir, kind_name, dns_names=names, key=plan.key,
                          hash=plan.hash, self_signed=plan.self_signed,
                          not_before=now + dt.timedelta(days=plan.valid_from_days),
                          not_after=now + dt.timedelta(days=plan.valid_until_days))
        settings: dict[str, Any] = {k: v for k, v in kind.server.items() if v is not None}
        settings.update(chain_pem=str(leaf.chain_pem), key_pem=str(leaf.key_pem))
        if per_service_process:
            for svc in members:
                specs.append(ServerSpec(name=svc.host, **settings))
                members_of[svc.host] = (svc.host,)
        else:
            specs.append(ServerSpec(name=kind_name, listeners=len(members), **settings))
            members_of[kind_name] = tuple(s.host for s in members)
    return Estate(ca=ca, contract_end=today + dt.timedelta(days=CONTRACT_DAYS),
                  specs=tuple(specs), services=tuple(planned), members=members_of)


def inventory_yaml(estate: Estate) -> str:
    lines = [
        "# Written by bench/tls_bench.py: every service listens on 127.0.0.1.",
        "rempart: 1",
        "contract:",
        "  customer: Rempart benchmark",
        f"  end_date: {estate.contract_end.isoformat()}",
        "scope: [127.0.0.0/8]",
        "hosts:",
    ]
    for svc in estate.services:
        lines += [
            f"  - name: {svc.host}  # {svc.kind.name}: {svc.kind.story}",
            f"    address: {HOST}",
            f"    dns_name: {svc.dns_name}",
            "    services:",
            f"      - {{port: {svc.port}, protocol: https}}",
        ]
    return "\n".join(lines) + "\n"
