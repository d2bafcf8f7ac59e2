"""The `vulnerabilities` probe: sslyze's heartbleed, openssl_ccs_injection, robot,
session_renegotiation and session_resumption scan commands against one service.

sslyze connects to a loopback relay (every connection goes on through `ctx.connect`), with the
service's DNS name as server name (SNI). sslyze always sends one, so a service known by its IP
address only is an `error`: an IP literal is never sent as SNI (RFC 6066).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sslyze is imported when the probe runs: most scans never need it
    from sslyze.scanner.models import ServerScanRequest

from scanner.facts import FactKind, FactSpec
from scanner.models import Fact, ReasonCategory, ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.vulns.mapping import COMMANDS, facts_from_scan
from scanner.probes.vulns.relay import Relay

P = ServiceProtocol
STARTTLS = {P.SMTP: "SMTP", P.SUBMISSION: "SMTP", P.IMAP: "IMAP", P.POP3: "POP3", P.FTP: "FTP",
            P.LDAP: "LDAP", P.XMPP: "XMPP", P.POSTGRESQL: "POSTGRES"}


def scan_request(target: ProbeTarget, relay_port: int, wanted: frozenset[str],
                 timeout: float) -> ServerScanRequest:
    """The sslyze ServerScanRequest: connect to the relay, name the service in SNI."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sslyze.connection_helpers.opportunistic_tls_helpers import (
            ProtocolWithOpportunisticTlsEnum,
        )
        from sslyze.plugins.scan_commands import ScanCommand
        from sslyze.scanner.models import ServerScanRequest
        from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation
    assert target.sni is not None
    location = ServerNetworkLocation(hostname=target.sni, port=relay_port, ip_address="127.0.0.1")
    starttls = STARTTLS.get(target.protocol)
    config = ServerNetworkConfiguration(
        tls_server_name_indication=target.sni,
        tls_opportunistic_encryption=ProtocolWithOpportunisticTlsEnum(starttls) if starttls
        else None,
        network_timeout=max(1, round(timeout)), network_max_retries=1)
    commands = {ScanCommand(COMMANDS[n]) for n in COMMANDS if n in wanted}
    return ServerScanRequest(server_location=location, network_configuration=config,
                             scan_commands=commands)


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
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
)


class VulnerabilitiesProbe:
    name = "vulnerabilities"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset(COMMANDS)

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        wanted = wanted & self.provides
        if target.sni is None:
            failure = ProbeFailure(
                "sslyze always sends a server name (SNI) and an IP address is never sent as one: "
                "declare the service's dns_name to run the vulnerability checks",
                ReasonCategory.BAD_INPUT)
            return [failure.fact(n) for n in COMMANDS if n in wanted]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from sslyze.scanner.models import ServerScanStatusEnum
            from sslyze.scanner.scanner import Scanner
        with Relay(target, ctx) as relay:
            request = scan_request(target, relay.port, wanted, ctx.timeout)
            scanner = Scanner(per_server_concurrent_connections_limit=2,
                              concurrent_server_scans_limit=1)
            scanner.queue_scans([request])
            results = list(scanner.get_results())
        result = results[0]
        if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
            failure = self._no_connectivity(result, relay)
            return [failure.fact(n) for n in COMMANDS if n in wanted]
        return facts_from_scan(result.scan_result, wanted)

    @staticmethod
    def _no_connectivity(result: object, relay: Relay) -> ProbeFailure:
        if relay.failures:
            first = relay.failures[0]
            return first.within("sslyze could not reach the service")
        trace = getattr(result, "connectivity_error_trace", None)
        detail = "".join(trace.format_exception_only()).strip() if trace else "no detail"
        return ProbeFailure(f"sslyze could not connect: {detail}", ReasonCategory.PROTOCOL_ERROR)


__all__ = ["VulnerabilitiesProbe", "scan_request"]
