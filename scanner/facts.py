"""The vocabulary of facts: their kinds, shared value vocabularies and `FactSpec`.

Each probe module declares the facts it establishes (`FactSpec`s in its `facts`); the probe
registry (`scanner.probes.registry`) gathers them into the catalogue `FACTS`, which rules are
checked against. A rule names the facts it needs; the engine plans probes from these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from scanner.models import TLS_SERVICE_PROTOCOLS, ServiceProtocol

if TYPE_CHECKING:  # for type checkers, the module attributes `__getattr__` provides
    FACTS: dict[str, FactSpec]
    REPORT_ONLY: frozenset[str]


class FactKind(StrEnum):
    SET = "set"  # tuple[Observation, ...]; rules compare the observation values
    BOOL = "bool"
    INT = "int"
    DATETIME = "datetime"
    STR = "str"
    CHAIN = "chain"  # tuple[CertificateSummary, ...]; for reports only


TLS_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
WEAK_CATEGORIES = ("rc4", "3des", "des", "enull", "export", "anon", "md5")  # enull: no encryption
GROUPS = (
    "secp256r1", "secp384r1", "secp521r1", "x25519", "x448",
    "secp224r1", "secp192r1", "secp256k1",
    "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1",
    "brainpoolP256r1tls13", "brainpoolP384r1tls13", "brainpoolP512r1tls13",
    "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192",
    "sect233k1", "sect233r1", "sect283k1", "sect283r1", "sect409k1", "sect409r1",
    "sect571k1", "sect571r1",
)
GROUP_ALIASES = {"P-256": "secp256r1", "P-384": "secp384r1", "P-521": "secp521r1",
                 "X25519": "x25519", "X448": "x448"}

TLS_SERVICES = TLS_SERVICE_PROTOCOLS
STARTTLS_SERVICES = frozenset(p for p in ServiceProtocol if p.starttls)
WEB = frozenset({ServiceProtocol.HTTPS, ServiceProtocol.HTTP})
REDIRECT_SCHEMES = ("https", "http", "none", "other")
SSH = frozenset({ServiceProtocol.SSH})
INSIDE = frozenset({ServiceProtocol.INSIDE})
FIREWALL_POLICIES = ("drop", "reject", "accept")
WORKER_KINDS = ("root", "login_user", "service_user")
OPS_KINDS = ("backup", "monitoring")
SPF_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: FactKind
    probe: str
    description: str
    vocabulary: tuple[str, ...] | None = None
    services: frozenset[ServiceProtocol] = TLS_SERVICES
    report_only: bool = False  # gathered whenever its probe runs, for the reports


def __getattr__(name: str) -> Any:
    """`FACTS` (name -> FactSpec, every registered probe's facts) and `REPORT_ONLY`, built on
    first use from the probe registry (lazily: probe modules import this module)."""
    if name == "FACTS":
        from scanner.probes.registry import default_registry

        return default_registry().facts
    if name == "REPORT_ONLY":
        from scanner.probes.registry import default_registry

        return frozenset(n for n, s in default_registry().facts.items() if s.report_only)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
