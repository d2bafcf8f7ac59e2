"""The catalogue of facts probes can gather and rules can judge.

A rule names the facts it needs; the engine plans probes from these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scanner.models import TLS_SERVICE_PROTOCOLS, ServiceProtocol


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


_SPECS = (
    FactSpec("tls.protocols", FactKind.SET, "tls",
             "Protocol versions the server accepts, SSL 2.0 to TLS 1.3", TLS_PROTOCOLS),
    FactSpec("tls.weak_suites", FactKind.SET, "tls",
             "Weak cipher-suite categories accepted under any version up to TLS 1.2 "
             "(detail: the suite and version)", WEAK_CATEGORIES),
    FactSpec("tls12.groups", FactKind.SET, "tls",
             "Key-exchange groups (curves) the server accepts for ECDHE under TLS 1.2", GROUPS),
    FactSpec("tls13.groups", FactKind.SET, "tls",
             "Key-exchange groups the server accepts under TLS 1.3", GROUPS),
    FactSpec("tls12.single_curve_refused", FactKind.SET, "tls",
             "P-curves with which a TLS 1.2 client offering only that curve cannot connect "
             "because the ECDSA certificate is on another curve (RFC 8422 5.1)", GROUPS),
    FactSpec("tls.dhe_min_bits", FactKind.INT, "tls",
             "Size in bits of the finite-field DH prime the server uses with DHE suites "
             "(a client offering no ffdhe group); not applicable without DHE"),
    FactSpec("tls.rsa_key_exchange", FactKind.BOOL, "tls",
             "A suite with RSA key transport (no forward secrecy) is accepted up to TLS 1.2"),
    FactSpec("tls.compression", FactKind.BOOL, "tls",
             "The server chooses DEFLATE TLS compression when a client offers it"),
    FactSpec("tls.secure_renegotiation", FactKind.BOOL, "tls",
             "The server supports secure renegotiation (RFC 5746 renegotiation_info)"),
    FactSpec("tls.fallback_scsv", FactKind.BOOL, "tls",
             "A TLS 1.0/1.1 hello marked TLS_FALLBACK_SCSV is refused (RFC 7507) where a newer "
             "version is accepted"),
    FactSpec("starttls.offered", FactKind.BOOL, "tls",
             "The plaintext service advertises and performs STARTTLS",
             services=STARTTLS_SERVICES),
    FactSpec("ftp.clear_login", FactKind.BOOL, "tls",
             "The FTP server accepts USER before AUTH TLS (credentials would travel in clear)",
             services=frozenset({ServiceProtocol.FTP})),
    FactSpec("tls.heartbleed", FactKind.BOOL, "vulnerabilities",
             "The server answers a malformed heartbeat with its memory (CVE-2014-0160; sslyze)"),
    FactSpec("tls.ccs_injection", FactKind.BOOL, "vulnerabilities",
             "The server accepts an early ChangeCipherSpec (CVE-2014-0224; sslyze)"),
    FactSpec("tls.robot", FactKind.STR, "vulnerabilities",
             "ROBOT: whether RSA key exchange exposes a padding oracle (sslyze)",
             ("vulnerable_strong_oracle", "vulnerable_weak_oracle", "not_vulnerable",
              "rsa_not_supported")),
    FactSpec("tls.client_renegotiation", FactKind.BOOL, "vulnerabilities",
             "The server accepts client-initiated renegotiations (a denial-of-service lever; "
             "sslyze)"),
    FactSpec("tls.session_resumption", FactKind.SET, "vulnerabilities",
             "Session resumption mechanisms that work: session_id, tls_ticket (sslyze)",
             ("session_id", "tls_ticket")),
    FactSpec("dns.addresses", FactKind.SET, "dns",
             "Addresses the host's DNS name resolves to (A and AAAA, through --dns-server or "
             "the system resolver; detail: the record)",
             services=frozenset(p for p in ServiceProtocol if p.network_service)),
    FactSpec("cert.present", FactKind.BOOL, "certificate",
             "The server presents a certificate"),
    FactSpec("cert.chain", FactKind.CHAIN, "certificate",
             "The certificate chain as received, leaf first"),
    FactSpec("cert.self_signed", FactKind.BOOL, "certificate",
             "The leaf certificate is signed by its own key"),
    FactSpec("cert.trusted", FactKind.BOOL, "certificate",
             "The chain builds to a trust anchor (system store plus --ca-file)"),
    FactSpec("cert.hostname_match", FactKind.BOOL, "certificate",
             "The leaf certificate is valid for the service's DNS name (or IP address)"),
    FactSpec("cert.not_before", FactKind.DATETIME, "certificate",
             "Start of the leaf certificate's validity (UTC)"),
    FactSpec("cert.not_after", FactKind.DATETIME, "certificate",
             "End of the leaf certificate's validity (UTC)"),
    FactSpec("cert.key_type", FactKind.STR, "certificate",
             "Leaf public key type", ("RSA", "EC", "Ed25519", "Ed448", "DSA")),
    FactSpec("cert.key_bits", FactKind.INT, "certificate", "Leaf public key size in bits"),
    FactSpec("cert.signature_hash", FactKind.STR, "certificate",
             "Hash algorithm of the leaf certificate's signature",
             ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "none")),
    FactSpec("ports.open", FactKind.SET, "ports",
             "Ports open to the scanner, as PORT/tcp or PORT/udp (detail: service and product "
             "nmap saw)", services=frozenset({ServiceProtocol.HOST})),
    FactSpec("ports.services", FactKind.SET, "ports",
             "Services nmap identified by probing the open ports, by nmap's name (redis, "
             "postgresql, ssh, ms-wbt-server …; detail: port, product, version)",
             services=frozenset({ServiceProtocol.HOST})),
    FactSpec("flows.open", FactKind.SET, "flows",
             "Connections that succeed from the source zone's vantage point, as HOST:PORT/tcp",
             services=frozenset({ServiceProtocol.FLOW})),
    FactSpec("http.hsts_max_age", FactKind.INT, "http",
             "max-age of the Strict-Transport-Security header in seconds (-1: no header)",
             services=frozenset({ServiceProtocol.HTTPS})),
    FactSpec("http.status", FactKind.INT, "http",
             "Status code of a GET / without credentials", services=WEB),
    FactSpec("http.location_scheme", FactKind.STR, "http",
             "Scheme of the Location header of that answer", REDIRECT_SCHEMES, services=WEB),
    FactSpec("http.location_same_host", FactKind.BOOL, "http",
             "The Location header names the same host as the request", services=WEB),
    FactSpec("http.protected_status", FactKind.SET, "http",
             "Status codes of the URLs the inventory marks protected, fetched without "
             "credentials (detail: the URL)", services=WEB),
    FactSpec("http.response_p90_ms", FactKind.INT, "http",
             "90th percentile of the response time of N requests to /, in milliseconds",
             services=WEB),
    FactSpec("spf.results", FactKind.SET, "spf",
             "SPF check_host() result for each sending IP of the domain (detail: the IP and "
             "the mechanism that decided)", SPF_RESULTS, services=frozenset({ServiceProtocol.SPF})),
    # ---- SSH servers, without logging in (probe `ssh`)
    FactSpec("ssh.ident", FactKind.STR, "ssh", "The server's identification string",
             services=SSH),
    FactSpec("ssh.openssh_version", FactKind.INT, "ssh",
             "OpenSSH version as major × 100 + minor (9.2 -> 902); not applicable to other "
             "software", services=SSH),
    FactSpec("ssh.kex", FactKind.SET, "ssh", "Key-exchange algorithms of the server's KEXINIT",
             services=SSH),
    FactSpec("ssh.host_key_algorithms", FactKind.SET, "ssh",
             "Host key algorithms of the server's KEXINIT", services=SSH),
    FactSpec("ssh.ciphers", FactKind.SET, "ssh", "Ciphers of the KEXINIT, both directions",
             services=SSH),
    FactSpec("ssh.macs", FactKind.SET, "ssh", "MACs of the KEXINIT, both directions",
             services=SSH),
    FactSpec("ssh.compression", FactKind.SET, "ssh",
             "Compression methods of the KEXINIT", services=SSH),
    FactSpec("ssh.host_keys", FactKind.SET, "ssh",
             "The server's host keys as `TYPE BITS` (detail: SHA256 fingerprint)", services=SSH),
    FactSpec("ssh.rsa_key_bits", FactKind.INT, "ssh",
             "Size of the smallest RSA host key; not applicable without one", services=SSH),
    # ---- hosts from inside, over an authenticated SSH session (probe `inside`)
    FactSpec("host.firewall_policy", FactKind.STR, "inside",
             "What the firewall does by default with inbound packets (nftables input hook, "
             "else iptables INPUT)", FIREWALL_POLICIES, services=INSIDE),
    FactSpec("host.listening", FactKind.SET, "inside",
             "Sockets listening on other than loopback addresses, as PORT/tcp or PORT/udp "
             "(detail: address and process)", services=INSIDE),
    FactSpec("host.sshd_root_password_login", FactKind.BOOL, "inside",
             "sshd lets root log in with a password (effective PermitRootLogin yes, and "
             "PasswordAuthentication or KbdInteractiveAuthentication yes)", services=INSIDE),
    FactSpec("host.sshd_password_login", FactKind.BOOL, "inside",
             "sshd accepts passwords (effective PasswordAuthentication or "
             "KbdInteractiveAuthentication yes)", services=INSIDE),
    FactSpec("host.web_workers", FactKind.SET, "inside",
             "Kinds of account the web server's worker processes run as (detail: process and "
             "user); not applicable without a web server", WORKER_KINDS, services=INSIDE),
    FactSpec("host.log_retention_days", FactKind.INT, "inside",
             "Shortest retention, in days, logrotate gives the declared log paths (all its "
             "rules when none is declared)", services=INSIDE),
    FactSpec("host.log_forward_targets", FactKind.SET, "inside",
             "Remote targets logs are forwarded to (rsyslog omfwd/@@, systemd-journal-upload)",
             services=INSIDE),
    FactSpec("host.log_forward_age_seconds", FactKind.INT, "inside",
             "Age of the declared last-forwarded file; not applicable when none is declared",
             services=INSIDE),
    FactSpec("host.backups_overdue", FactKind.SET, "inside",
             "Declared backup directories whose newest file is older than their declared RPO "
             "(detail: newest file's age)", services=INSIDE),
    FactSpec("host.backup_rpo_minutes", FactKind.INT, "inside",
             "Largest RPO the inventory declares for the host's backup directories",
             services=INSIDE),
    FactSpec("host.backups_short", FactKind.SET, "inside",
             "Declared backup directories whose oldest file is younger than their declared "
             "retention (detail: oldest file's age)", services=INSIDE),
    FactSpec("host.backup_local_days", FactKind.INT, "inside",
             "Age in days of the oldest file of the youngest local backup directory",
             services=INSIDE),
    FactSpec("host.ids_services", FactKind.SET, "inside",
             "Intrusion detection / banning services running (fail2ban, CrowdSec, Suricata, "
             "Wazuh, OSSEC, Snort)", services=INSIDE),
    FactSpec("host.av_services", FactKind.SET, "inside",
             "Antivirus / integrity services running or scheduled (ClamAV, Wazuh or OSSEC "
             "syscheck, AIDE with its database and schedule)", services=INSIDE),
    FactSpec("host.login_accounts", FactKind.SET, "inside",
             "Accounts with a login shell (detail: uid and shell)", services=INSIDE),
    FactSpec("host.sudo_accounts", FactKind.SET, "inside",
             "Accounts that may use sudo: members of sudo/wheel/admin and users named in "
             "sudoers (detail: where)", services=INSIDE),
    FactSpec("host.ops_services", FactKind.SET, "inside",
             "Operations services running (backup agent, monitoring agent; detail: process)",
             OPS_KINDS, services=INSIDE),
)

FACTS: dict[str, FactSpec] = {s.name: s for s in _SPECS}

# gathered whenever their probe runs, for the reports (no rule needs to ask for them)
REPORT_ONLY = frozenset({"ssh.ident", "ssh.host_keys", "ssh.compression"})
