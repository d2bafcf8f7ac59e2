"""Subjects found by the scan itself: an SSH server the exposure scan identified on a port the
inventory does not declare as `ssh` gets the SSH audit too."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.models import (
    ExposedHost,
    InventoryInfo,
    NetworkService,
    Observation,
    ProbeStatus,
    ServiceProtocol,
    ServiceReport,
)


def discovered_ssh(inventory: InventoryInfo, reports: Sequence[ServiceReport]
                   ) -> list[NetworkService]:
    """One `ssh` subject per TCP port where nmap's service detection named ssh (`ports.open`
    detail "ssh OpenSSH 9.2p1 ..."; a guess from the port number, "ssh?", is not enough)."""
    declared = {(s.host, s.port) for s in inventory.all_subjects()
                if isinstance(s, NetworkService) and s.protocol is ServiceProtocol.SSH}
    out = []
    for report in reports:
        host = report.service
        fact = report.fact("ports.open")
        if not isinstance(host, ExposedHost) or fact is None or \
                fact.status is not ProbeStatus.COMPLETED or not isinstance(fact.value, tuple):
            continue
        for o in fact.value:
            if not isinstance(o, Observation) or not o.value.endswith("/tcp") or \
                    o.detail.split(" ")[0] != "ssh":
                continue
            port = int(o.value.split("/")[0])
            if (host.host, port) in declared:
                continue
            declared.add((host.host, port))
            out.append(NetworkService(host=host.host, address=host.address,
                                      dns_name=host.dns_name, port=port,
                                      protocol=ServiceProtocol.SSH, role=host.role,
                                      location=host.location, discovered=True))
    return out
