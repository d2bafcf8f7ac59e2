"""The inventory YAML document, typed: the one source of scanner/schema/inventory.schema.json.

The loaders (scanner/inventory*.py) validate against the committed schema, then read the plain
values. A test checks that the committed file is what this module writes; after changing a model:

    make schemas        # or: python -m scanner.schemagen
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, WithJsonSchema, with_config
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from scanner.models import ServiceProtocol
from scanner.schemagen import UNKNOWN_FIRST, generate

_STRICT = ConfigDict(extra="forbid")
_WEEKLY = ConfigDict(extra="forbid", json_schema_extra=UNKNOWN_FIRST)  # see scanner/schemagen.py
NonEmpty = Annotated[str, Field(min_length=1)]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveInt = Annotated[int, Field(ge=1)]
# a subset of a StrEnum is not a type mypy can check; its values come from ServiceProtocol
NetworkProtocol = Annotated[str, WithJsonSchema(
    {"enum": [p.value for p in ServiceProtocol if p.network_service]})]
_ABSOLUTE = "^/[^\\u0000-\\u001f]*$"
_INSIDE_DOC = ("authenticated host checks over SSH (README, 'Host checks'); a role's values are "
               "defaults for its hosts")


@with_config(_STRICT)
class Contract(TypedDict):
    customer: NonEmpty
    end_date: NotRequired[Annotated[str, Field(
        pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="a date like 2027-06-30",
        json_schema_extra={"format": "date"})]]


@with_config(_STRICT)
class Service(TypedDict):
    port: Port
    protocol: NetworkProtocol
    protected_urls: NotRequired[Annotated[
        list[Annotated[str, Field(pattern="^/", description="a path starting with /")]],
        Field(description="paths that must answer 401/403 without credentials")]]
    clients: NotRequired[Annotated[str, Field(
        min_length=1, description="the zone this service's clients are in: its TLS, certificate "
        "and HTTP probes run from that zone's vantage (default: a zone with a declared flow to "
        "it)")]]


@with_config(_STRICT)
class Backup(TypedDict):
    path: Annotated[str, Field(pattern=_ABSOLUTE, description="an absolute path")]
    kind: NotRequired[Literal["local", "database", "offsite"]]
    rpo_minutes: NotRequired[PositiveInt]
    retention_days: NotRequired[PositiveInt]


@with_config(_STRICT)
class LogForwarding(TypedDict):
    last_file: NotRequired[Annotated[str, Field(
        pattern=_ABSOLUTE, description="a file the forwarder rewrites on every copy")]]


@with_config(_STRICT)
class Inside(TypedDict):
    user: NotRequired[Annotated[str, Field(pattern="^[A-Za-z_][A-Za-z0-9_.-]*$",
                                           description="the scan account")]]
    port: NotRequired[Port]
    key_file: NotRequired[Annotated[str, Field(min_length=1,
                                               description="private key file (~ allowed)")]]
    agent: NotRequired[Annotated[bool, Field(description="authenticate with the SSH agent")]]
    known_hosts: NotRequired[Annotated[str, Field(
        min_length=1, description="known_hosts file the host key must be in")]]
    sudo: NotRequired[Annotated[
        list[Literal["firewall", "sockets", "sshd", "sudoers", "backups"]],
        Field(description="checks whose commands run as sudo -n")]]
    backups: NotRequired[list[Backup]]
    log_paths: NotRequired[list[Annotated[str, Field(
        pattern="^(/[^\\u0000-\\u001f]*|journal)$",
        description="an absolute path, or journal")]]]
    log_forwarding: NotRequired[LogForwarding]
    offsite_copy: NotRequired[Annotated[str, Field(
        min_length=1, description="where the off-site copy lives")]]
    contractor_accounts: NotRequired[list[NonEmpty]]


InsideField = Annotated[Inside, Field(description=_INSIDE_DOC)]


@with_config(_STRICT)
class Host(TypedDict):
    name: Annotated[str, Field(pattern="^[A-Za-z0-9][A-Za-z0-9._-]*$",
                               description="letters, digits, dots, dashes and underscores")]
    address: NotRequired[NonEmpty]
    dns_name: NotRequired[NonEmpty]
    role: NotRequired[NonEmpty]
    services: Annotated[list[Service], Field(min_length=1)]
    inside: NotRequired[InsideField]


@with_config(_STRICT)
class Role(TypedDict):
    allowed_ports: list[Annotated[str, Field(pattern="^[0-9]{1,5}/(tcp|udp)$",
                                             description="a port like 443/tcp")]]
    description: NotRequired[str]
    allowed_services: NotRequired[Annotated[list[NonEmpty], Field(
        description="service names (as nmap names them) the role may expose on any port, "
        "e.g. postgresql")]]
    inside: NotRequired[InsideField]


@with_config(_STRICT)
class Vantage(TypedDict):
    address: NonEmpty
    port: NotRequired[Port]
    user: NonEmpty
    key_file: NonEmpty
    known_hosts: NonEmpty


@with_config(_STRICT)
class Zone(TypedDict):
    hosts: NotRequired[list[str]]
    vantage: NotRequired[Annotated[str, Field(
        min_length=1,
        description="local or a name under vantages; omitted: flows from the zone are not tested")]]


Flow = TypedDict("Flow", {  # "from" is a Python keyword
    "from": str,
    "to": str,
    "port": Annotated[str, Field(pattern="^[0-9]{1,5}/tcp$",
                                 description="a TCP port like 443/tcp")],
})
with_config(_STRICT)(Flow)


@with_config(_STRICT)
class SendingDomain(TypedDict):
    domain: NonEmpty
    ips: Annotated[list[str], Field(min_length=1)]


@with_config(_STRICT)
class Mail(TypedDict):
    dns_server: NotRequired[Annotated[str, Field(
        min_length=1, description="a resolver like 192.0.2.53 or 127.0.0.1:5353")]]
    sending_domains: NotRequired[list[SendingDomain]]


# dates stay strings here: scanner/operations.py parses them and says what it expected
Day = Annotated[str, Field(description="a date like 2026-12-24")]
Days = Annotated[int, Field(ge=0)]


@with_config(_WEEKLY)
class RemediationDays(TypedDict):  # the keys are Severity's values (a test checks they agree)
    critical: NotRequired[Days]
    high: NotRequired[Days]
    medium: NotRequired[Days]
    low: NotRequired[Days]
    info: NotRequired[Days]


@with_config(_WEEKLY)
class FreezeWindow(TypedDict):
    start: Day
    end: Day
    name: NotRequired[str]


@with_config(_WEEKLY)
class GoLiveException(TypedDict):
    go_live: Day
    approver: NonEmpty
    reason: NonEmpty


@with_config(_WEEKLY)
class Maintenance(TypedDict):
    start: Annotated[str, Field(description="a date-time like 2026-12-05T22:00:00Z")]
    end: Annotated[str, Field(description="a date-time like 2026-12-06T02:00:00Z")]
    hosts: NotRequired[list[str]]
    title: NotRequired[str]


@with_config(_WEEKLY)
class Operations(TypedDict):
    scan_interval_days: NotRequired[Annotated[int, Field(ge=1, le=366)]]
    remediation_days: NotRequired[RemediationDays]
    freeze_windows: NotRequired[list[FreezeWindow]]
    go_live_exceptions: NotRequired[list[GoLiveException]]
    maintenance: NotRequired[list[Maintenance]]


@with_config(_STRICT)
class Inventory(TypedDict):
    rempart: Annotated[Literal[1], Field(description="format version")]
    contract: Contract
    scope: Annotated[list[Annotated[str, Field(
        min_length=1, description="a network in CIDR notation like 203.0.113.0/24")]],
        Field(min_length=1)]
    hosts: list[Host]
    roles: NotRequired[Annotated[dict[str, Role], Field(
        description="role -> the ports its hosts may expose (deny by default)")]]
    vantages: NotRequired[Annotated[dict[str, Vantage], Field(
        description="SSH hosts from which zones' flows are tested")]]
    zones: NotRequired[Annotated[dict[str, Zone], Field(
        description="zone -> its hosts and where its flows are tested from")]]
    flows: NotRequired[Annotated[list[Flow], Field(
        description="the allowed flows; everything else between zones is denied")]]
    mail: NotRequired[Mail]
    operations: NotRequired[Annotated[Operations, Field(
        description="Weekly scans, remediation deadlines, freeze windows, maintenance windows")]]


HEADER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://rempart.invalid/schema/inventory.schema.json",
    "title": "Rempart inventory",
    "description": "The estate to scan. See README.md, section 'Inventory'.",
}


def generated_schema() -> dict[str, Any]:
    return generate(Inventory, HEADER)

