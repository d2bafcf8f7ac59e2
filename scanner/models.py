"""The result model: every other module reads or writes these typed, frozen records.

The JSON result (`ScanResult.model_dump_json`) is the single source for every report.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from scanner.model_base import (
    STARTTLS_PROTOCOLS,
    TLS_SERVICE_PROTOCOLS,
    Frozen,
    LocalizedText,
    ServiceProtocol,
    Severity,
    SourceLocation,
    Status,
    localized,
)
from scanner.subjects import (
    AddressedSubject,
    Backup,
    ClientZone,
    Estate,
    ExposedHost,
    FlowDestination,
    InsideHost,
    InventorySubject,
    LocalVantage,
    MailDomain,
    NetworkService,
    RequiredFlow,
    SshAccess,
    Subject,
    Vantage,
    VantagePoint,
    ZonePair,
)

__all__ = [  # re-exported: the result model is imported from here
    "STARTTLS_PROTOCOLS", "TLS_SERVICE_PROTOCOLS", "AddressedSubject", "Backup", "ClientZone",
    "Estate", "ExposedHost", "FlowDestination", "Frozen", "InsideHost", "InventorySubject",
    "LocalVantage", "LocalizedText", "MailDomain", "NetworkService", "RequiredFlow",
    "ServiceProtocol", "Severity", "SourceLocation", "SshAccess", "Status", "Subject",
    "Vantage", "VantagePoint", "ZonePair", "localized",
]


class Host(Frozen):
    name: str
    address: str | None
    dns_name: str | None
    role: str | None
    services: tuple[NetworkService, ...]
    exposure: ExposedHost | None = Field(None, description="Its exposed ports, judged against "
                                                           "its role (when roles are declared)")
    inside: InsideHost | None = Field(None, description="Its checks over SSH, when declared")
    location: SourceLocation | None = None

    def subjects(self) -> tuple[Subject, ...]:
        own = (self.exposure, self.inside)
        return (*self.services, *(s for s in own if s is not None))


class Contract(Frozen):
    customer: str
    end_date: date | None = None


class Zone(Frozen):
    name: str
    hosts: tuple[str, ...] = ()
    vantage: str = Field("", description="`local`, the name of an SSH vantage point, or empty "
                                         "(flows from this zone are not tested)")


class Flow(Frozen):
    """An allowed flow of the matrix: from a zone to a zone on PORT/tcp."""

    source: str
    destination: str
    port: str
    location: SourceLocation | None = None


class SendingDomain(Frozen):
    domain: str
    ips: tuple[str, ...]
    location: SourceLocation | None = None


class FreezeWindow(Frozen):
    """Days (inclusive) when production changes are limited (REQ-OPS-02)."""

    start: date
    end: date
    name: str = ""


class GoLiveException(Frozen):
    """A go-live declared inside a freeze window, with who approved it and why."""

    go_live: date
    approver: str
    reason: str


class MaintenanceWindow(Frozen):
    start: datetime
    end: datetime
    hosts: tuple[str, ...] = Field((), description="Host names; empty: the whole estate")
    title: str = ""


class Operations(Frozen):
    """The inventory's `operations` section: cadence, deadlines, freezes, maintenance."""

    scan_interval_days: int = 7
    remediation_days: dict[Severity, int] = Field(default_factory=dict)
    freeze_windows: tuple[FreezeWindow, ...] | None = Field(
        None, description="None: the default freeze (last week of a year, first of the next)")
    go_live_exceptions: tuple[GoLiveException, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()


class InventoryInfo(Frozen):
    path: str | None = Field(description="Inventory file; None for --target scans")
    contract: Contract
    scope: tuple[str, ...] = Field(description="Networks the scanner may reach (CIDR)")
    hosts: tuple[Host, ...]
    roles: dict[str, tuple[str, ...]] = Field(default_factory=dict,
                                              description="Role -> allowed PORT/proto")
    zones: tuple[Zone, ...] = ()
    flows: tuple[Flow, ...] = ()
    vantages: tuple[Vantage, ...] = ()
    sending_domains: tuple[SendingDomain, ...] = ()
    ssh_access: tuple[SshAccess, ...] = ()
    dns_server: str | None = None
    subjects: tuple[InventorySubject, ...] = Field(
        (), description="Zone pairs and mail domains to check (hosts' services are under hosts)")
    operations: Operations = Field(default_factory=Operations)

    def all_subjects(self) -> tuple[Subject, ...]:
        return tuple(s for h in self.hosts for s in h.subjects()) + self.subjects


# ---- facts gathered by probes -------------------------------------------------------------

class ProbeStatus(StrEnum):
    COMPLETED = "completed"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class ReasonCategory(StrEnum):
    """Why a fact could not be established; the detail string says the rest."""

    TIMEOUT = "timeout"  # no answer in time
    REFUSED = "refused"  # connection refused (RST to SYN)
    RESET = "reset"  # connection reset or closed mid-exchange
    PROTOCOL_ERROR = "protocol_error"  # the peer answered something unexpected or malformed
    NOT_PERMITTED = "not_permitted"  # authentication, host key, privileges, policy
    BUDGET_EXHAUSTED = "budget_exhausted"  # the subject's time budget ran out
    UNRESOLVABLE = "unresolvable"  # a DNS name did not resolve
    UNREACHABLE = "unreachable"  # no route, host down, vantage point unreachable
    OUT_OF_SCOPE = "out_of_scope"  # the address is outside the scanner's authorised scope
    TOOL_MISSING = "tool_missing"  # an external tool (nmap, ...) is not installed
    BAD_INPUT = "bad_input"  # the inventory or options lack or garble what the check needs
    MISSING_DEPENDENCY = "missing_dependency"  # no probe provides a fact or artefact needed
    INTERRUPTED = "interrupted"  # the scan was cancelled before this finished
    INTERNAL_ERROR = "internal_error"  # a bug in Rempart (an unexpected exception)
    UNSPECIFIED = "unspecified"  # no category recorded (schema-1 results, unadapted probes)


class Observation(Frozen):
    """One member of a set-valued fact, with what shows it (e.g. `TLSv1.0` + the chosen suite)."""

    value: str
    detail: str = ""
    said: Phrase | None = Field(None, description="`detail` as a message key with its values, "
                                                  "when the probe gave one")


class CertificateSummary(Frozen):
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    key_type: str
    key_bits: int
    signature_algorithm: str
    sha256_fingerprint: str


FactValue = (
    bool
    | int
    | datetime
    | str
    | tuple[Observation, ...]
    | tuple[CertificateSummary, ...]
    | None
)


class _Categorised(Frozen):
    status: ProbeStatus
    category: ReasonCategory | None = Field(
        None, description="Kind of failure; always set when status is `error`")
    why: Phrase | None = Field(None, description="`reason` as a message key (`reason.*`) with "
                                                 "its values, for a fixed reason; `reason` "
                                                 "is then its English text")

    @model_validator(mode="after")
    def _error_has_category(self) -> Self:
        """An `error` always carries a category (`unspecified` when its producer gave none)."""
        if self.status is ProbeStatus.ERROR and self.category is None:
            object.__setattr__(self, "category", ReasonCategory.UNSPECIFIED)  # still validating
        return self


class Fact(_Categorised):
    name: str
    value: FactValue = None
    summary: Summary = Field(default_factory=lambda: Summary(),
                             description="How the fact was established (what was tried and seen)")
    reason: str | None = Field(None, description="Why it could not be established")


class ProbeRun(_Categorised):
    probe: str
    reason: str | None = None
    connections: int = 0
    seconds: float = 0.0


class ServiceReport(Frozen):
    service: Subject = Field(description="The subject probed (a service, host, zone pair ...)")
    facts: tuple[Fact, ...]
    probes: tuple[ProbeRun, ...]

    def fact(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.name == name), None)


# ---- rules and their results --------------------------------------------------------------

class Requirement(Frozen):
    id: str
    text: LocalizedText
    source: str = Field(description="Key of the source document in the pack's `sources`")
    section: str = Field("", description="Section of the source document that demands it")
    quote: str = Field("", description="The source's sentence, verbatim (in its language)")


class SourceDocument(Frozen):
    id: str
    title: str
    issuer: str = ""
    date: str = Field("", description="YYYY-MM-DD, YYYY-MM or YYYY; empty if undated")
    reference: str = Field("", description="Where to get it (URL, document number)")


class RuleInfo(Frozen):
    id: str
    pack: str
    title: LocalizedText
    severity: Severity
    requirements: tuple[str, ...]
    controls: dict[str, tuple[str, ...]] = Field(
        description="Framework -> control IDs, e.g. iso27001 -> [A.8.24]"
    )
    sources: tuple[str, ...] = ()
    applies_to: tuple[ServiceProtocol, ...]
    facts: tuple[str, ...]
    rationale: LocalizedText
    remediation: LocalizedText
    references: tuple[str, ...] = ()
    location: SourceLocation | None = None


class PackInfo(Frozen):
    id: str
    version: str
    title: LocalizedText
    origin: str = Field(description="`builtin:<name>` or the file path given")
    sha256: str
    sources: tuple[SourceDocument, ...] = ()
    requirements: tuple[Requirement, ...] = ()


class FlagValue(Frozen):
    kind: Literal["flag"] = "flag"
    flag: bool


class NumberValue(Frozen):
    kind: Literal["number"] = "number"
    number: int | float


class TextValue(Frozen):
    """A vocabulary term, a name, or text a server sent: shown as is, never translated."""

    kind: Literal["text"] = "text"
    text: str


class MomentValue(Frozen):
    kind: Literal["moment"] = "moment"
    moment: datetime


class ListValue(Frozen):
    """The values of a set fact (or of a list operand); empty means none."""

    kind: Literal["list"] = "list"
    items: tuple[str | int, ...]


TypedValue = Annotated[FlagValue | NumberValue | TextValue | MomentValue | ListValue,
                       Field(discriminator="kind")]


ParamValue = bool | int | float | str | datetime | tuple[str | int, ...] | list[str]


def typed(value: ParamValue) -> TypedValue:
    """A Python value as the typed value kind that carries it (bool before int)."""
    if isinstance(value, bool):
        return FlagValue(flag=value)
    if isinstance(value, int | float):
        return NumberValue(number=value)
    if isinstance(value, datetime):
        return MomentValue(moment=value)
    if isinstance(value, str):
        return TextValue(text=value)
    return ListValue(items=tuple(value))


class Phrase(Frozen):
    """One clause a probe says (a summary, a fixed reason, an observation's detail): a message
    key of the reports' catalogues (`summary.*`, `reason.*`, `obs.*` in reports/locale) and its
    typed values; each formatter words it with Babel. `steps` fill the `{steps}` placeholder,
    joined by the message `joiner` (`; `, `, then ` or `, `)."""

    key: str
    params: dict[str, TypedValue] = Field(default_factory=dict)
    clauses: dict[str, Phrase] = Field(default_factory=dict,
                                       description="Phrases that fill the placeholders named")
    steps: tuple[Phrase, ...] = ()
    joiner: Literal["summary.sep", "summary.then", "summary.comma"] = "summary.sep"


def say(key: str, *steps: Phrase, join: Literal["sep", "then", "comma"] = "sep",
        **params: ParamValue | Phrase) -> Phrase:
    """`Phrase` from plain values: `say("summary.tls.versions", *steps, n=6)`; a Phrase
    value fills its placeholder with its own words."""
    return Phrase(key=key, params={k: typed(v) for k, v in params.items()
                                   if not isinstance(v, Phrase)},
                  clauses={k: v for k, v in params.items() if isinstance(v, Phrase)},
                  steps=steps, joiner=f"summary.{join}")


class Summary(Frozen):
    """How a fact was established: phrases worded in the report's language, joined by `; `.
    `text` is the English sentence of results written before summaries had message keys."""

    phrases: tuple[Phrase, ...] = ()
    text: str = Field("", description="Older results only: the summary as English text")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        """Plain text (older results, a probe not yet worded) is kept as `text`."""
        return {"text": data} if isinstance(data, str) else data

    def __bool__(self) -> bool:
        return bool(self.phrases or self.text)


def summary(*phrases: Phrase) -> Summary:
    return Summary(phrases=phrases)


class Unknown(StrEnum):
    """Why a condition could not be compared (the outcome is then error or not applicable)."""

    FACT_ERROR = "fact_error"  # the probe could not establish the fact: see the fact's reason
    FACT_NOT_APPLICABLE = "fact_not_applicable"  # the fact does not exist here (e.g. port closed)
    FACT_MISSING = "fact_missing"  # no probe gathered the fact
    REFERENCE_MISSING = "reference_missing"  # the operand names a value the scan lacks


class Evidence(Frozen):
    """One condition as judged: typed values, no prose; formatters word it in their language."""

    fact: str
    operator: str = Field("", description="A name of scanner.rulepack.operators.OPERATORS; "
                                          "empty in results upgraded from schema 1")
    expected: TypedValue | None = Field(None, description="The operand, resolved; None when "
                                                          "its reference is missing")
    reference: str | None = Field(None, description="Where the operand comes from when not "
                                  "written in the rule: contract.end_date, scan.time, "
                                  "role.allowed_ports, flow.required ...")
    excluded: tuple[str, ...] = Field((), description="Values ignored (`except:`)")
    actual: TypedValue | None = Field(None, description="The fact's value; None when unknown")
    unknown: Unknown | None = None
    decisive: tuple[Observation, ...] = Field(
        (), description="The observed values that decided (offending or, for all_of, none), "
                        "with what the probe saw")
    missing: tuple[str, ...] = Field((), description="all_of: wanted values not observed")
    legacy: tuple[str, str, str] | None = Field(
        None, description="Schema-1 results only: expected, actual and detail as English text")


class MessageKey(StrEnum):
    """What a result says, worded by each formatter from its message catalogue."""

    CHECKED = "checked"  # pass or fail: the evidence says why
    SUBJECT_NOT_COVERED = "subject_not_covered"  # the rule does not apply to this kind of subject
    FACT_NOT_FOR_SUBJECT = "fact_not_for_subject"  # a fact the rule needs does not exist here
    PRECONDITION_NOT_MET = "precondition_not_met"  # `when:` did not hold
    FACT_NOT_APPLICABLE = "fact_not_applicable"  # a fact does not apply (e.g. port 80 closed)
    UNCHECKED = "unchecked"  # could not be checked: see the evidence
    LEGACY = "legacy"  # a schema-1 result: `text` is its English message


class Message(Frozen):
    key: MessageKey
    fact: str | None = Field(None, description="The fact concerned, when one is")
    text: str = Field("", description="Schema-1 results only: the English message")


class RuleResult(Frozen):
    rule_id: str
    service: str = Field(description="Service.key")
    status: Status
    message: Message
    evidence: tuple[Evidence, ...] = ()
    waiver: str | None = Field(None, description="ID of the active waiver that accepted this "
                                                 "failure (status waived)")


class Exclusion(Frozen):
    """A rule left out of the scan on purpose: a pack override `enabled: false` or --skip-rule."""

    rule_id: str
    reason: str = ""
    by: Literal["pack", "skip-rule"]
    location: SourceLocation | None = None


class WaiverState(StrEnum):
    ACTIVE = "active"  # applied: the failures it covers are `waived`
    PENDING = "pending"  # its start date is still ahead: not applied
    EXPIRED = "expired"  # past its expiry date: not applied, reported
    STALE = "stale"  # in force but matches no failure (fixed, or a wrong host/rule)


class WaiverRecord(Frozen):
    """A declared waiver (accepted risk) and what it did in this scan."""

    id: str
    rule_id: str
    hosts: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    justification: str
    approver: str
    start: date
    expires: date
    risk: Severity
    location: SourceLocation | None = None
    state: WaiverState
    matched: tuple[str, ...] = Field((), description="Service keys of the failures it covers")


PortVerdict = Literal["ok", "exposed", "filtered", "internal", "reachable_no_socket",
                      "allowed_unused"]


class PortView(Frozen):
    """One port of a host seen from inside (its socket list) and from outside (its exposure
    scan): scanner/reconcile.py."""

    host: str
    port: str = Field(description="PORT/tcp or PORT/udp")
    listening: bool = Field(description="A socket listens on it beyond loopback")
    inside: str = Field("", description="Addresses and processes of those sockets")
    all_interfaces: bool = Field(False, description="One of them listens on every address")
    allowed: bool | None = Field(description="The role allows it; None: the host has no role")
    reachable: bool = Field(description="The exposure scan found it open")
    verdict: PortVerdict


class HistoryPoint(Frozen):
    scan_id: int | None = Field(description="None: the scan this result is")
    started_at: datetime
    open_by_severity: dict[Severity, int] = Field(description="Failed results per severity")


class ScanHistory(Frozen):
    points: tuple[HistoryPoint, ...] = Field((), description="Last complete scans of the "
                                                             "inventory, oldest first, this one "
                                                             "last")
    first_seen: dict[str, datetime] = Field(
        default_factory=dict, description="`RULE|service` of each open finding -> when its "
                                          "current run of open scans began")


class ScanResult(Frozen):
    schema_version: Literal["3"] = "3"  # reports/json_report.py upgrades "1" and "2" results
    tool: str = "rempart"
    tool_version: str
    started_at: datetime
    finished_at: datetime
    inventory: InventoryInfo
    packs: tuple[PackInfo, ...]
    rules: tuple[RuleInfo, ...]
    services: tuple[ServiceReport, ...]
    results: tuple[RuleResult, ...]
    host_ports: tuple[PortView, ...] = Field(
        (), description="Inside and outside side by side, for hosts with both views")
    interrupted: bool = Field(False, description="Stopped by SIGINT/SIGTERM: the subjects not "
                              "finished have `error` facts in category `interrupted`")
    exclusions: tuple[Exclusion, ...] = ()
    waivers: tuple[WaiverRecord, ...] = ()
    history: ScanHistory | None = Field(None, description="What the history database knew "
                                                          "when this scan was stored")

    def rule(self, rule_id: str) -> RuleInfo:
        return next(r for r in self.rules if r.id == rule_id)

    def service(self, key: str) -> ServiceReport:
        return next(s for s in self.services if s.service.key == key)


def count_by_status(results: tuple[RuleResult, ...]) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for r in results:
        counts[r.status] += 1
    return counts
