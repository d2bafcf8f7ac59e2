"""A realistic scan result shared by the report tests (and the HTML report's tests).

Three services (https, smtp with STARTTLS, raw tls), two packs, every status, microsecond times
(as real scans have); make_large_result() adds ~36 hosts with long hostile names. Some values are
hostile on purpose: a certificate subject full of HTML/JS, a 64 KB banner with control characters
and rich markup, so that every formatter proves it treats server text as data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scanner.models import (
    CertificateSummary,
    Contract,
    Evidence,
    Fact,
    FactValue,
    FlagValue,
    Host,
    InventoryInfo,
    ListValue,
    Message,
    MessageKey,
    MomentValue,
    NetworkService,
    Observation,
    PackInfo,
    ProbeRun,
    ProbeStatus,
    ReasonCategory,
    Requirement,
    RuleInfo,
    RuleResult,
    ScanResult,
    ServiceProtocol,
    ServiceReport,
    Severity,
    SourceDocument,
    SourceLocation,
    Status,
    Unknown,
)

STARTED = datetime(2025, 3, 3, 8, 0, 0, 417_293, tzinfo=UTC)  # real scans have microseconds
FINISHED = STARTED + timedelta(minutes=2, seconds=13, microseconds=86_511)
CONTRACT_END = date(2027, 6, 30)
HOSTILE_SUBJECT = 'CN=<script>alert(1)</script>,O="><img src=x onerror=alert(2)>'
TIMEOUT_REASON = "connection timed out after 5.0 s"
BANNER_SIZE = 64 * 1024


def _banner() -> str:
    """An SMTP-banner-like string of exactly 64 KB, with control characters and markup."""
    head = (
        "220 mx.clinique-exemple.test ESMTP ready \x1b[31m[bold red]not markup[/bold red]"
        "\x07 <b>&amp;</b> {{ jinja }} ${shell}\r\n"
    )
    lines = [head]
    size = len(head)
    n = 0
    while size < BANNER_SIZE:
        n += 1
        line = f"250-X-PADDING-{n:05d} " + "A" * 60 + "\r\n"
        lines.append(line)
        size += len(line)
    return "".join(lines)[:BANNER_SIZE]


LONG_BANNER = _banner()

# ---- services -----------------------------------------------------------------------------

PORTAL = NetworkService(
    host="portal", address="203.0.113.10", dns_name="www.clinique-exemple.test", port=443,
    protocol=ServiceProtocol.HTTPS, role="web",
    location=SourceLocation(file="inventory.yaml", line=14, column=9),
)
MAIL = NetworkService(
    host="mail", address="203.0.113.25", dns_name="mx.clinique-exemple.test", port=25,
    protocol=ServiceProtocol.SMTP, role="mail",
    location=SourceLocation(file="inventory.yaml", line=23, column=9),
)
LEGACY = NetworkService(
    host="legacy-api", address="198.51.100.5", dns_name="api-legacy.clinique-exemple.test",
    port=8443, protocol=ServiceProtocol.TLS, role="api",
    location=SourceLocation(file="inventory.yaml", line=32, column=9),
)

# ---- packs and rules ----------------------------------------------------------------------

ISO = "iso27001"
ANSSI = "anssi-tls"


def _req(rid: str, en: str, fr: str, source: str) -> Requirement:
    return Requirement(id=rid, text={"en": en, "fr": fr}, source=source)


BASELINE = PackInfo(
    id="saas-baseline",
    version="2025.1",
    title={"en": "SaaS hosting baseline", "fr": "Socle d'hébergement SaaS"},
    origin="builtin:saas-baseline",
    sha256="3f2a" * 16,
    sources=(
        SourceDocument(id="SH", title="Livre blanc Self Help - SaaS",
                       reference="seeds/001_60c46716581327b6.txt"),
        SourceDocument(id="MZ", title="Bascule du service Mailiz modernisé",
                       reference="seeds/003_47290366bb2d395d.txt"),
    ),
    requirements=(
        _req("REQ-TLS-01", "SSL 2.0 and SSL 3.0 are refused.",
             "SSL 2.0 et SSL 3.0 sont refusés.", "SH"),
        _req("REQ-TLS-02", "TLS 1.0 and TLS 1.1 are refused.",
             "TLS 1.0 et TLS 1.1 sont refusés.", "SH"),
        _req("REQ-TLS-03", "TLS 1.2 is offered (TLS 1.3 allowed as well).",
             "TLS 1.2 est proposé (TLS 1.3 également autorisé).", "MZ"),
        _req("REQ-TLS-05", "3DES (and single DES) cipher suites are refused.",
             "Les suites 3DES (et DES simple) sont refusées.", "SH"),
        _req("REQ-TLS-08", "Each of P-256, P-384 and P-521 is accepted.",
             "Chacune des courbes P-256, P-384 et P-521 est acceptée.", "MZ"),
        _req("REQ-CRT-02", "The certificate is not self-signed and chains to a trusted CA.",
             "Le certificat n'est pas auto-signé et est émis par une AC de confiance.", "SH"),
        _req("REQ-CRT-03", "The certificate stays valid at least until the end of the contract.",
             "Le certificat reste valide au moins jusqu'à la fin du contrat.", "SH"),
    ),
)
CUSTOM = PackInfo(
    id="clinique-extra",
    version="1",
    title={"en": "Clinique Exemple additions", "fr": "Compléments Clinique Exemple"},
    origin="packs/clinique-extra.yaml",
    sha256="9c1e" * 16,
    sources=(SourceDocument(id="CE", title="Cahier des charges sécurité, annexe 3"),),
    requirements=(
        _req("CE-REQ-1", "Public web services offer TLS 1.3.",
             "Les services web publics proposent TLS 1.3.", "CE"),
    ),
)

_ALL_TLS = (ServiceProtocol.HTTPS, ServiceProtocol.SMTP, ServiceProtocol.TLS)


def _rule(
    rid: str, severity: Severity, title: tuple[str, str], requirements: tuple[str, ...],
    controls: dict[str, tuple[str, ...]], facts: tuple[str, ...], rationale: tuple[str, str],
    remediation: tuple[str, str], line: int, *, pack: PackInfo = BASELINE,
    applies_to: tuple[ServiceProtocol, ...] = _ALL_TLS,
) -> RuleInfo:
    file = "rules/saas-baseline.yaml" if pack is BASELINE else pack.origin
    return RuleInfo(
        id=rid, pack=pack.id, title={"en": title[0], "fr": title[1]}, severity=severity,
        requirements=requirements, controls=controls,
        sources=tuple(sorted({r.source for r in pack.requirements if r.id in requirements})),
        applies_to=applies_to, facts=facts,
        rationale={"en": rationale[0], "fr": rationale[1]},
        remediation={"en": remediation[0], "fr": remediation[1]},
        location=SourceLocation(file=file, line=line, column=3),
    )


RULES = (
    _rule("TLS-PROTO-001", Severity.CRITICAL,
          ("SSL 2.0 and SSL 3.0 are refused", "SSL 2.0 et SSL 3.0 sont refusés"),
          ("REQ-TLS-01",), {ISO: ("A.8.24",), ANSSI: ("§ 2.1",)}, ("tls.protocols",),
          ("SSL 2.0 and 3.0 are broken (DROWN, POODLE).",
           "SSL 2.0 et 3.0 sont cassés (DROWN, POODLE)."),
          ("Disable SSLv2 and SSLv3 in the server's TLS configuration.",
           "Désactiver SSLv2 et SSLv3 dans la configuration TLS du serveur."), 12),
    _rule("TLS-PROTO-002", Severity.HIGH,
          ("TLS 1.0 and TLS 1.1 are refused", "TLS 1.0 et TLS 1.1 sont refusés"),
          ("REQ-TLS-02",), {ISO: ("A.8.24",), ANSSI: ("§ 2.1",)}, ("tls.protocols",),
          ("TLS 1.0 and 1.1 are deprecated (RFC 8996).",
           "TLS 1.0 et 1.1 sont obsolètes (RFC 8996)."),
          ("Allow only TLS 1.2 and TLS 1.3.", "N'autoriser que TLS 1.2 et TLS 1.3."), 31),
    _rule("TLS-CIPH-002", Severity.MEDIUM,
          ("3DES cipher suites are refused", "Les suites 3DES sont refusées"),
          ("REQ-TLS-05",), {ISO: ("A.8.24",)}, ("tls.weak_suites",),
          ("3DES has a 64-bit block and is exposed to Sweet32.",
           "3DES a des blocs de 64 bits et est exposé à Sweet32."),
          ("Remove every *_3DES_EDE_CBC_* suite from the cipher list.",
           "Retirer toutes les suites *_3DES_EDE_CBC_* de la liste."), 50),
    _rule("TLS-GROUP-002", Severity.LOW,
          ("The NIST P-curves are accepted for ECDHE", "Les courbes NIST P sont acceptées"),
          ("REQ-TLS-08",), {ISO: ("A.8.24",)}, ("tls12.groups",),
          ("Clients restricted to the NIST curves must be able to connect.",
           "Les clients limités aux courbes NIST doivent pouvoir se connecter."),
          ("Enable secp256r1, secp384r1 and secp521r1.",
           "Activer secp256r1, secp384r1 et secp521r1."), 70),
    _rule("CERT-TRUST-001", Severity.HIGH,
          ("The certificate chain is trusted", "La chaîne de certificats est de confiance"),
          ("REQ-CRT-02",), {ISO: ("A.8.24",)}, ("cert.trusted",),
          ("Clients cannot authenticate an untrusted server.",
           "Les clients ne peuvent pas authentifier un serveur non reconnu."),
          ("Install a certificate from a public CA with its full chain.",
           "Installer un certificat d'une AC publique avec sa chaîne complète."), 90),
    _rule("CERT-EXPIRY-001", Severity.MEDIUM,
          ("The certificate is valid until the contract end",
           "Le certificat est valide jusqu'à la fin du contrat"),
          ("REQ-CRT-03",), {ISO: ("A.8.24", "A.5.36")}, ("cert.not_after",),
          ("The white paper promises valid certificates for the whole contract term.",
           "Le livre blanc promet des certificats valides pendant tout le contrat."),
          ("Renew the certificate or schedule automated renewal before it expires.",
           "Renouveler le certificat ou automatiser son renouvellement."), 108),
    _rule("CE-TLS13-001", Severity.INFO,
          ("TLS 1.3 is offered", "TLS 1.3 est proposé"),
          ("CE-REQ-1",), {ISO: ("A.8.24",)}, ("tls.protocols",),
          ("TLS 1.3 removes legacy key exchanges.", "TLS 1.3 supprime les échanges hérités."),
          ("Enable TLS 1.3.", "Activer TLS 1.3."), 5, pack=CUSTOM,
          applies_to=(ServiceProtocol.HTTPS, ServiceProtocol.TLS)),
)

# ---- facts --------------------------------------------------------------------------------


def _fact(name: str, value: FactValue) -> Fact:
    return Fact(name=name, status=ProbeStatus.COMPLETED, value=value,
                summary=f"{name} established by handshakes")


def _obs(*pairs: tuple[str, str]) -> tuple[Observation, ...]:
    return tuple(Observation(value=v, detail=d) for v, d in pairs)


def _cert(subject: str, issuer: str, serial: str, not_after: datetime,
          names: tuple[str, ...] = ()) -> CertificateSummary:
    return CertificateSummary(
        subject=subject, issuer=issuer, serial=serial,
        not_before=datetime(2024, 4, 2, tzinfo=UTC), not_after=not_after,
        dns_names=names, key_type="RSA", key_bits=2048, signature_algorithm="sha256WithRSA",
        sha256_fingerprint=(serial * 64)[:64].lower(),
    )


_CA = _cert("CN=Exemple Issuing CA R3,O=Exemple Trust", "CN=Exemple Root CA,O=Exemple Trust",
            "0A", datetime(2029, 1, 1, tzinfo=UTC))


def _cert_facts(leaf: CertificateSummary, chain: tuple[CertificateSummary, ...],
                trusted: bool) -> tuple[Fact, ...]:
    return (
        _fact("cert.present", True),
        _fact("cert.chain", chain),
        _fact("cert.self_signed", leaf.subject == leaf.issuer),
        _fact("cert.trusted", trusted),
        _fact("cert.hostname_match", True),
        _fact("cert.not_before", leaf.not_before),
        _fact("cert.not_after", leaf.not_after),
        _fact("cert.key_type", leaf.key_type),
        _fact("cert.key_bits", leaf.key_bits),
        _fact("cert.signature_hash", "sha256"),
    )


_PORTAL_LEAF = _cert("CN=www.clinique-exemple.test", _CA.subject, "4F1C",
                     datetime(2026, 4, 1, 23, 59, 59, tzinfo=UTC),
                     ("www.clinique-exemple.test",))
_MAIL_LEAF = _cert("CN=mx.clinique-exemple.test", _CA.subject, "77AB",
                   datetime(2028, 1, 15, tzinfo=UTC), ("mx.clinique-exemple.test",))
_LEGACY_LEAF = _cert(HOSTILE_SUBJECT, HOSTILE_SUBJECT, "01", datetime(2030, 1, 1, tzinfo=UTC),
                     ("api-legacy.clinique-exemple.test",))

_GROUPS = _obs(("secp256r1", "ECDHE-RSA-AES128-GCM-SHA256"), ("secp384r1", ""),
               ("secp521r1", ""), ("x25519", ""))
_TLS1_MAIL_DETAIL = "ECDHE-RSA-AES128-SHA after STARTTLS; server said: " + LONG_BANNER


def _probes(n: int) -> tuple[ProbeRun, ...]:
    return (ProbeRun(probe="tls", status=ProbeStatus.COMPLETED, connections=n, seconds=3.2),
            ProbeRun(probe="certificate", status=ProbeStatus.COMPLETED, connections=1,
                     seconds=0.4))


SERVICE_REPORTS = (
    ServiceReport(service=PORTAL, probes=_probes(41), facts=(
        _fact("tls.protocols", _obs(("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
                                    ("TLSv1.3", "TLS_AES_128_GCM_SHA256"))),
        _fact("tls.weak_suites", ()),
        _fact("tls12.groups", _GROUPS),
        _fact("tls13.groups", _obs(("x25519", ""), ("secp256r1", ""))),
        *_cert_facts(_PORTAL_LEAF, (_PORTAL_LEAF, _CA), True),
    )),
    ServiceReport(service=MAIL, probes=_probes(57), facts=(
        _fact("starttls.offered", True),
        _fact("tls.protocols", _obs(("TLSv1.0", _TLS1_MAIL_DETAIL),
                                    ("TLSv1.1", "ECDHE-RSA-AES128-SHA"),
                                    ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"))),
        _fact("tls.weak_suites", _obs(("3des", "TLS_RSA_WITH_3DES_EDE_CBC_SHA under TLSv1.0"))),
        _fact("tls12.groups", _GROUPS),
        *_cert_facts(_MAIL_LEAF, (_MAIL_LEAF, _CA), True),
    )),
    ServiceReport(service=LEGACY, probes=(
        ProbeRun(probe="tls", status=ProbeStatus.ERROR, reason=TIMEOUT_REASON, connections=23,
                 seconds=17.5),
        ProbeRun(probe="certificate", status=ProbeStatus.COMPLETED, connections=1, seconds=0.6),
    ), facts=(
        _fact("tls.protocols", _obs(("SSLv3", "RC4-SHA"), ("TLSv1.0", "AES128-SHA"),
                                    ("TLSv1.1", "AES128-SHA"), ("TLSv1.2", "AES128-GCM-SHA256"))),
        _fact("tls.weak_suites", ()),
        Fact(name="tls12.groups", status=ProbeStatus.ERROR, reason=TIMEOUT_REASON,
             category=ReasonCategory.TIMEOUT,
             summary="ECDHE handshakes with each group; the server stopped answering"),
        *_cert_facts(_LEGACY_LEAF, (_LEGACY_LEAF,), False),
    )),
)

# ---- results ------------------------------------------------------------------------------


def _r(rule_id: str, service: NetworkService, status: Status, *evidence: Evidence,
       key: MessageKey = MessageKey.CHECKED) -> RuleResult:
    return RuleResult(rule_id=rule_id, service=service.key, status=status,
                      message=Message(key=key), evidence=evidence)


def _set(fact: str, op: str, want: tuple[str, ...], seen: tuple[str, ...],
         decisive: tuple[Observation, ...] = (), missing: tuple[str, ...] = ()) -> Evidence:
    return Evidence(fact=fact, operator=op, expected=ListValue(items=want),
                    actual=ListValue(items=seen), decisive=decisive, missing=missing)


def _flag(fact: str, want: bool, seen: bool, decisive: tuple[Observation, ...] = ()
          ) -> Evidence:
    return Evidence(fact=fact, operator="equals", expected=FlagValue(flag=want),
                    actual=FlagValue(flag=seen), decisive=decisive)


_END = datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)


def _expiry(seen: datetime) -> Evidence:
    return Evidence(fact="cert.not_after", operator="on_or_after",
                    expected=MomentValue(moment=_END), reference="contract.end_date",
                    actual=MomentValue(moment=seen))


_NO_SSL = ("SSLv2", "SSLv3")
_NO_OLD_TLS = ("TLSv1.0", "TLSv1.1")
_P_CURVES = ("secp256r1", "secp384r1", "secp521r1")
_ALL_CURVES = (*_P_CURVES, "x25519")


def _passing(service: NetworkService) -> list[RuleResult]:
    return [
        _r("TLS-PROTO-001", service, Status.PASS,
           _set("tls.protocols", "none_of", _NO_SSL, ("TLSv1.2", "TLSv1.3"))),
        _r("TLS-CIPH-002", service, Status.PASS, _set("tls.weak_suites", "none_of", ("3des",), ())),
        _r("CERT-TRUST-001", service, Status.PASS, _flag("cert.trusted", True, True)),
    ]


RESULTS = (
    *_passing(PORTAL),
    _r("TLS-PROTO-002", PORTAL, Status.PASS,
       _set("tls.protocols", "none_of", _NO_OLD_TLS, ("TLSv1.2", "TLSv1.3"))),
    _r("TLS-GROUP-002", PORTAL, Status.PASS,
       _set("tls12.groups", "all_of", _P_CURVES, _ALL_CURVES)),
    _r("CERT-EXPIRY-001", PORTAL, Status.FAIL,
       _expiry(datetime(2026, 4, 1, 23, 59, 59, tzinfo=UTC))),
    _r("CE-TLS13-001", PORTAL, Status.PASS,
       _set("tls.protocols", "any_of", ("TLSv1.3",), ("TLSv1.2", "TLSv1.3"),
            _obs(("TLSv1.3", "TLS_AES_128_GCM_SHA256")))),
    _r("TLS-PROTO-001", MAIL, Status.PASS,
       _set("tls.protocols", "none_of", _NO_SSL, ("TLSv1.0", "TLSv1.1", "TLSv1.2"))),
    _r("TLS-PROTO-002", MAIL, Status.FAIL,
       _set("tls.protocols", "none_of", _NO_OLD_TLS, ("TLSv1.0", "TLSv1.1", "TLSv1.2"),
            _obs(("TLSv1.0", _TLS1_MAIL_DETAIL), ("TLSv1.1", "ECDHE-RSA-AES128-SHA")))),
    _r("TLS-CIPH-002", MAIL, Status.FAIL,
       _set("tls.weak_suites", "none_of", ("3des",), ("3des",),
            _obs(("3des", "TLS_RSA_WITH_3DES_EDE_CBC_SHA under TLSv1.0")))),
    _r("TLS-GROUP-002", MAIL, Status.PASS,
       _set("tls12.groups", "all_of", _P_CURVES, _ALL_CURVES)),
    _r("CERT-TRUST-001", MAIL, Status.PASS, _flag("cert.trusted", True, True)),
    _r("CERT-EXPIRY-001", MAIL, Status.PASS, _expiry(datetime(2028, 1, 15, tzinfo=UTC))),
    _r("CE-TLS13-001", MAIL, Status.NOT_APPLICABLE, key=MessageKey.SUBJECT_NOT_COVERED),
    _r("TLS-PROTO-001", LEGACY, Status.FAIL,
       _set("tls.protocols", "none_of", _NO_SSL, ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"),
            _obs(("SSLv3", "RC4-SHA")))),
    _r("TLS-PROTO-002", LEGACY, Status.FAIL,
       _set("tls.protocols", "none_of", _NO_OLD_TLS, ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"),
            _obs(("TLSv1.0", "AES128-SHA"), ("TLSv1.1", "AES128-SHA")))),
    _r("TLS-CIPH-002", LEGACY, Status.PASS, _set("tls.weak_suites", "none_of", ("3des",), ())),
    _r("TLS-GROUP-002", LEGACY, Status.ERROR,
       Evidence(fact="tls12.groups", operator="all_of", expected=ListValue(items=_P_CURVES),
                unknown=Unknown.FACT_ERROR), key=MessageKey.UNCHECKED),
    _r("CERT-TRUST-001", LEGACY, Status.FAIL,
       _flag("cert.trusted", True, False, _obs(("self-signed", f"subject: {HOSTILE_SUBJECT}")))),
    _r("CERT-EXPIRY-001", LEGACY, Status.PASS, _expiry(datetime(2030, 1, 1, tzinfo=UTC))),
    _r("CE-TLS13-001", LEGACY, Status.FAIL,
       _set("tls.protocols", "any_of", ("TLSv1.3",), ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"))),
)


def _host(service: NetworkService, line: int) -> Host:
    return Host(name=service.host, address=service.address, dns_name=service.dns_name,
                role=service.role, services=(service,),
                location=SourceLocation(file="inventory.yaml", line=line, column=5))


INVENTORY = InventoryInfo(
    path="inventory.yaml",
    contract=Contract(customer="Clinique Exemple", end_date=CONTRACT_END),
    scope=("203.0.113.0/24", "198.51.100.0/28"),
    hosts=(_host(PORTAL, 10), _host(MAIL, 19), _host(LEGACY, 28)),
)


def make_sample_result() -> ScanResult:
    """The shared sample: 3 services, 7 rules in 2 packs, every status, hostile strings."""
    return ScanResult(
        tool_version="0.1.0", started_at=STARTED, finished_at=FINISHED, inventory=INVENTORY,
        packs=(BASELINE, CUSTOM), rules=RULES, services=SERVICE_REPORTS, results=RESULTS,
    )


LONG_LABEL = "très-long-nom-de-service-" * 4  # ~100 characters of one word: tables must wrap


def make_large_result(copies: int = 36) -> ScanResult:
    """The sample plus `copies` more hosts, each a copy of the three services under a long,
    hostile name (markup, quotes, accents) with their results: an estate of ~100 services, as
    real scans have, for the validators and the layout."""
    base = make_sample_result()
    hosts, reports, results = list(base.inventory.hosts), list(base.services), list(base.results)
    for i in range(copies):
        template = base.services[i % len(base.services)]
        name = f"srv{i:02d}-{LONG_LABEL}<i>\"x\"</i>&amp;"
        service = template.service.model_copy(update={
            "host": name, "address": f"203.0.113.{100 + i}",
            "dns_name": f"srv{i:02d}.{LONG_LABEL.replace('é', 'e')[:60]}.clinique-exemple.test"})
        hosts.append(_host(service, 40 + 9 * i))
        reports.append(template.model_copy(update={"service": service}))
        results += [r.model_copy(update={"service": service.key}) for r in base.results
                    if r.service == template.service.key]
    inventory = base.inventory.model_copy(update={"hosts": tuple(hosts)})
    return base.model_copy(update={"inventory": inventory, "services": tuple(reports),
                                   "results": tuple(results)})
