"""What a rule can be about: one typed record per kind of subject, and their sum type `Subject`.

The inventory loader builds them (scanner/inventory*.py); the engine hands each one, typed, to
its probes (`ProbeTarget.subject`); rules cite the values in `references()` as `${name}`.
Nothing between the loader and the probes encodes structure as text.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from scanner.model_base import Frozen, ServiceProtocol, SourceLocation


def _ip_literal(text: str) -> str:
    """An IP address literal (as written); a name is refused (probes never resolve)."""
    ipaddress.ip_address(text)
    return text


IpAddress = Annotated[str, AfterValidator(_ip_literal)]
Port = Annotated[int, Field(ge=1, le=65535)]

References = dict[str, tuple[str, ...]]
"""Values a rule may cite as ${name} (role.allowed_ports, flow.required, ...), as text."""


# ---- where connections start ---------------------------------------------------------------

class LocalVantage(Frozen):
    """The scanner itself."""

    kind: Literal["local"] = "local"

    @property
    def name(self) -> str:
        return "local"


class Vantage(Frozen):
    """An SSH host from which flows of a zone are tested (key authentication only)."""

    kind: Literal["ssh"] = "ssh"
    name: str
    address: IpAddress
    port: Port = 22
    user: str
    key_file: str
    known_hosts: str


VantagePoint = Annotated[LocalVantage | Vantage, Field(discriminator="kind")]


class ClientZone(Frozen):
    """The zone a service's clients are in, and where its probes connect from."""

    zone: str
    vantage: VantagePoint


class SshAccess(Frozen):
    """How the host checks log in to a host (key file or agent; never a password)."""

    host: str
    address: IpAddress | None
    port: Port = 22
    user: str
    key_file: str | None = None
    agent: bool = False
    known_hosts: str
    sudo: tuple[str, ...] = Field((), description="Check IDs whose command runs as sudo -n")


# ---- the subjects --------------------------------------------------------------------------

def _shown(address: str | None, dns_name: str | None, host: str) -> str:
    where = dns_name or address or host
    return f"[{where}]" if ":" in where else where


class NetworkService(Frozen):
    """A port with a protocol on a host: what TLS, HTTP, SMTP, SSH ... probes talk to."""

    kind: Literal["service"] = "service"
    host: str = Field(description="Host name as declared in the inventory")
    address: IpAddress | None = Field(description="IP address to connect to; None: resolve "
                                                  "dns_name")
    dns_name: str | None = Field(description="Name sent as SNI and matched against certificates")
    port: Port
    protocol: ServiceProtocol
    role: str | None = None
    location: SourceLocation | None = None
    clients: ClientZone | None = Field(None, description="Probed from this zone's vantage; "
                                                         "None: from the scanner")
    companion_ports: tuple[Port, ...] = Field(
        (), description="Port 80 added beside HTTPS: the host's HTTPS ports (they tell a "
                        "dropped port 80 from a host that is down)")
    protected_urls: tuple[str, ...] = Field((), description="Paths that must ask for a login")
    discovered: bool = Field(False, description="Found by the exposure scan, not declared")

    @model_validator(mode="after")
    def _a_network_protocol(self) -> Self:
        if not self.protocol.network_service:
            raise ValueError(f"{self.protocol.value!r} is not a network service protocol")
        return self

    @property
    def key(self) -> str:
        """Stable identifier of the subject across scans."""
        return f"{self.host}:{self.port}/{self.protocol.value}"

    @property
    def endpoint(self) -> str:
        """What was reached, e.g. `https://www.example.com:443` or `203.0.113.5:25 (smtp)`."""
        where = _shown(self.address, self.dns_name, self.host)
        if self.protocol in (ServiceProtocol.HTTPS, ServiceProtocol.HTTP):
            return f"{self.protocol.value}://{where}:{self.port}"
        return f"{where}:{self.port} ({self.protocol.value})"

    def references(self) -> References:
        refs: References = {}
        if self.address is not None and self.dns_name is not None:  # REQ-NET-07
            refs["host.address"] = (self.address,)
        if self.protected_urls:
            refs["http.protected_urls"] = self.protected_urls
        return refs


class ExposedHost(Frozen):
    """A whole host as seen from the network: which of its ports are open."""

    kind: Literal["host"] = "host"
    host: str
    address: IpAddress | None
    dns_name: str | None
    role: str
    allowed_ports: tuple[str, ...] = Field(description="The role's PORT/proto")
    allowed_services: tuple[str, ...] = Field((), description="The role's service names")
    location: SourceLocation | None = None

    @property
    def protocol(self) -> ServiceProtocol:
        return ServiceProtocol.HOST

    @property
    def key(self) -> str:
        return f"{self.host}/ports"

    @property
    def endpoint(self) -> str:
        return f"{_shown(self.address, self.dns_name, self.host)} (exposed ports)"

    def references(self) -> References:
        return {"role.allowed_ports": self.allowed_ports,
                "role.allowed_services": self.allowed_services}


class Backup(Frozen):
    """A backup the host declares (REQ-HST-06..08)."""

    path: str
    kind: Literal["local", "database", "offsite"] = "local"
    rpo_minutes: int | None = None
    retention_days: int | None = None


class InsideHost(Frozen):
    """A host checked from inside, over an authenticated SSH session."""

    kind: Literal["inside"] = "inside"
    host: str
    address: IpAddress = Field(description="Host checks log in to an address, never a name")
    dns_name: str | None = None
    role: str | None = None
    access: SshAccess
    backups: tuple[Backup, ...] = ()
    log_paths: tuple[str, ...] = ()
    log_forward_file: str | None = Field(None, description="The file the log forwarder "
                                                           "writes last (its age is measured)")
    offsite_copy: str | None = None
    contractor_accounts: tuple[str, ...] | None = Field(
        None, description="Accounts of contractors; None: not declared")
    allowed_ports: tuple[str, ...] | None = Field(None, description="The role's PORT/proto")
    location: SourceLocation | None = None

    @property
    def protocol(self) -> ServiceProtocol:
        return ServiceProtocol.INSIDE

    @property
    def key(self) -> str:
        return f"{self.host}/inside"

    @property
    def endpoint(self) -> str:
        return f"{_shown(self.address, self.dns_name, self.host)} (inside, over SSH)"

    def references(self) -> References:
        refs: References = {}
        if self.contractor_accounts is not None:
            refs["host.contractor_accounts"] = self.contractor_accounts
        if self.allowed_ports is not None:
            refs["role.allowed_ports"] = self.allowed_ports
        return refs


class FlowDestination(Frozen):
    host: str
    address: IpAddress | None = Field(description="None: known by name only (not tried)")


class RequiredFlow(Frozen):
    """A declared flow to one destination host: it must be open."""

    host: str
    port: Port
    transport: Literal["tcp", "udp"] = "tcp"

    @property
    def label(self) -> str:
        """As the flows probe reports an open connection: `web1:443/tcp`."""
        return f"{self.host}:{self.port}/{self.transport}"


class ZonePair(Frozen):
    """An ordered pair of zones: which connections succeed from one to the other."""

    kind: Literal["zone_pair"] = "zone_pair"
    source: str
    destination: str
    vantage: VantagePoint | None = Field(description="Where the source zone's connections "
                                                     "start; None: it has no vantage")
    destinations: tuple[FlowDestination, ...]
    ports: tuple[Port, ...] = Field(description="Candidate TCP ports tried on every destination")
    required: tuple[RequiredFlow, ...] = ()
    location: SourceLocation | None = None

    @property
    def host(self) -> str:
        return f"{self.source}->{self.destination}"

    @property
    def protocol(self) -> ServiceProtocol:
        return ServiceProtocol.FLOW

    @property
    def key(self) -> str:
        return f"{self.host}/flow"

    @property
    def endpoint(self) -> str:
        return f"flows {self.source} → {self.destination}"

    def references(self) -> References:
        return {"flow.required": tuple(r.label for r in self.required)}


class MailDomain(Frozen):
    """A sending mail domain: its SPF policy must list the sending addresses."""

    kind: Literal["mail_domain"] = "mail_domain"
    domain: str
    ips: tuple[IpAddress, ...]
    location: SourceLocation | None = None

    @property
    def host(self) -> str:
        return self.domain

    @property
    def protocol(self) -> ServiceProtocol:
        return ServiceProtocol.SPF

    @property
    def key(self) -> str:
        return f"{self.domain}/spf"

    @property
    def endpoint(self) -> str:
        return f"SPF policy of {self.domain}"

    def references(self) -> References:
        return {"spf.ips": self.ips}


class Estate(Frozen):
    """The whole inventory, judged from the scan history (scanner/history)."""

    kind: Literal["estate"] = "estate"
    location: SourceLocation | None = None

    @property
    def host(self) -> str:
        return "estate"

    @property
    def protocol(self) -> ServiceProtocol:
        return ServiceProtocol.ESTATE

    @property
    def key(self) -> str:
        return "estate/estate"

    @property
    def endpoint(self) -> str:
        return "the whole estate (scan history)"

    def references(self) -> References:
        return {}


Subject = Annotated[NetworkService | ExposedHost | InsideHost | ZonePair | MailDomain | Estate,
                    Field(discriminator="kind")]
"""What a rule can be about. Every kind has `host`, `protocol` (what rules' applies_to name),
`key`, `endpoint`, `location` and `references()`."""

InventorySubject = Annotated[ZonePair | MailDomain, Field(discriminator="kind")]
"""The subjects declared beside the hosts."""

AddressedSubject = NetworkService | ExposedHost | InsideHost
"""The kinds that live on one host, with an address or a DNS name."""
