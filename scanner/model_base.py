"""The base vocabulary of the result model: frozen records, severities, statuses, protocols,
source locations. `scanner.models` and `scanner.subjects` build on it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"  # a failure accepted by an active waiver (scanner/waivers.py)


class ServiceProtocol(StrEnum):
    """What a scanned subject is: a network service, or a host / zone pair / mail domain."""

    HTTPS = "https"
    TLS = "tls"
    SMTP = "smtp"
    SMTPS = "smtps"
    IMAP = "imap"
    IMAPS = "imaps"
    POP3 = "pop3"
    POP3S = "pop3s"
    HTTP = "http"  # plain HTTP (port 80 front doors)
    HOST = "host"  # a whole host: its exposed ports
    FLOW = "flow"  # a pair of zones: the flows open from one to the other
    SPF = "spf"  # a sending mail domain: its SPF policy
    ESTATE = "estate"  # the whole inventory, judged from the scan history (scanner/history)
    SSH = "ssh"  # an SSH server, audited without logging in
    INSIDE = "inside"  # a host checked from inside, over an authenticated SSH session
    SUBMISSION = "submission"  # SMTP submission (587), STARTTLS
    FTP = "ftp"  # FTP with explicit TLS (AUTH TLS, "FTPES")
    FTPS = "ftps"  # FTP over implicit TLS (990)
    LDAP = "ldap"  # LDAP StartTLS extended operation
    XMPP = "xmpp"  # XMPP client STARTTLS (5222)
    POSTGRESQL = "postgresql"  # PostgreSQL SSLRequest (5432)

    @property
    def starttls(self) -> bool:
        """True when TLS starts after a plaintext STARTTLS exchange."""
        return self in STARTTLS_PROTOCOLS

    @property
    def tls(self) -> bool:
        return self in TLS_SERVICE_PROTOCOLS

    @property
    def network_service(self) -> bool:
        """A port with a protocol, as opposed to a host, zone pair or domain."""
        return self not in (ServiceProtocol.HOST, ServiceProtocol.FLOW, ServiceProtocol.SPF,
                            ServiceProtocol.INSIDE, ServiceProtocol.ESTATE)


TLS_SERVICE_PROTOCOLS = frozenset({
    ServiceProtocol.HTTPS, ServiceProtocol.TLS, ServiceProtocol.SMTP, ServiceProtocol.SMTPS,
    ServiceProtocol.IMAP, ServiceProtocol.IMAPS, ServiceProtocol.POP3, ServiceProtocol.POP3S,
    ServiceProtocol.SUBMISSION, ServiceProtocol.FTP, ServiceProtocol.FTPS, ServiceProtocol.LDAP,
    ServiceProtocol.XMPP, ServiceProtocol.POSTGRESQL,
})
STARTTLS_PROTOCOLS = frozenset({
    ServiceProtocol.SMTP, ServiceProtocol.IMAP, ServiceProtocol.POP3, ServiceProtocol.SUBMISSION,
    ServiceProtocol.FTP, ServiceProtocol.LDAP, ServiceProtocol.XMPP, ServiceProtocol.POSTGRESQL,
})


LocalizedText = dict[str, str]
"""Text keyed by language code; `en` is always present."""


def localized(text: LocalizedText, lang: str) -> str:
    return text.get(lang) or text["en"]


class SourceLocation(Frozen):
    """Where something is declared: a file path (as given) and a 1-based line and column."""

    file: str
    line: int
    column: int = 1
