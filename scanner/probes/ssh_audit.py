"""The `ssh` probe: what an SSH server offers before anyone logs in.

One connection reads the identification string and the KEXINIT (every algorithm list, see
ssh_wire); then one paramiko handshake per host key family (RSA, each ECDSA curve, Ed25519)
fetches that key for its type and size, because a server shows only the key of the negotiated
algorithm. Nothing is authenticated; no credentials are sent.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from scanner.facts import SSH, FactKind, FactSpec
from scanner.models import Fact, Observation, Phrase, ProbeStatus, say, summary
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.ssh_wire import ServerHello, read_hello

if TYPE_CHECKING:  # imported on use: the probe catalogue is loaded by every scan
    import paramiko

IDENT = "ssh.ident"
VERSION = "ssh.openssh_version"
KEX, CIPHERS, MACS = "ssh.kex", "ssh.ciphers", "ssh.macs"
HOST_KEY_ALGS, COMPRESSION = "ssh.host_key_algorithms", "ssh.compression"
HOST_KEYS, RSA_BITS = "ssh.host_keys", "ssh.rsa_key_bits"
WIRE_FACTS = frozenset({IDENT, VERSION, KEX, CIPHERS, MACS, HOST_KEY_ALGS, COMPRESSION})
KEY_FACTS = frozenset({HOST_KEYS, RSA_BITS})
_OPENSSH = re.compile(r"^SSH-[0-9.]+-OpenSSH_(\d+)\.(\d+)")
# host key algorithm -> the family fetched once; RSA in paramiko's order of preference
_FAMILIES = {"ssh-ed25519": "ed25519", "ecdsa-sha2-nistp256": "ecdsa-p256",
             "ecdsa-sha2-nistp384": "ecdsa-p384", "ecdsa-sha2-nistp521": "ecdsa-p521",
             "rsa-sha2-512": "rsa", "rsa-sha2-256": "rsa", "ssh-rsa": "rsa"}


logging.getLogger("paramiko").addHandler(logging.NullHandler())  # failures are facts, not logs


def openssh_version(ident: str) -> int | None:
    """`SSH-2.0-OpenSSH_9.2p1 ...` -> 902 (major × 100 + minor); None for other software."""
    m = _OPENSSH.match(ident)
    return int(m.group(1)) * 100 + int(m.group(2)) if m else None


def fetch_host_key(ctx: ProbeContext, target: ProbeTarget, algorithm: str) -> paramiko.PKey:
    """One handshake limited to `algorithm`; returns the server's key (never authenticates)."""
    import paramiko

    from scanner.probes.ssh_client import RfcTransport

    sock = ctx.connect(target)
    left = max(0.1, min(ctx.timeout, ctx.deadline - time.monotonic()))
    transport = RfcTransport(sock)
    try:
        transport.banner_timeout = transport.handshake_timeout = left
        transport.get_security_options().key_types = (algorithm,)
        transport.start_client(timeout=left)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise ProbeFailure(f"SSH handshake for the {algorithm} host key failed: "
                           f"{exc or type(exc).__name__}") from None
    finally:
        transport.close()
        sock.close()


def host_keys(ctx: ProbeContext, target: ProbeTarget, offered: tuple[str, ...],
              rsa_only: bool) -> tuple[list[Observation], list[Phrase]]:
    """The host keys the server has (one handshake per family) and what could not be read."""
    seen: list[Observation] = []
    notes: list[Phrase] = []
    done: set[str] = set()
    for algorithm in offered:  # the server's order
        family = _FAMILIES.get(algorithm)
        if family is None or family in done or (rsa_only and family != "rsa"):
            if algorithm == "ssh-dss" and not rsa_only:
                notes.append(say("summary.ssh.dss_unread"))
            continue
        done.add(family)
        key = fetch_host_key(ctx, target, algorithm)
        seen.append(Observation(value=f"{key.get_name()} {key.get_bits()}",
                                detail=f"SHA256:{key.fingerprint.removeprefix('SHA256:')}"))
    return seen, notes


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("ssh.ident", FactKind.STR, "ssh", "The server's identification string",
             services=SSH,
             report_only=True),
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
             "Compression methods of the KEXINIT", services=SSH,
             report_only=True),
    FactSpec("ssh.host_keys", FactKind.SET, "ssh",
             "The server's host keys as `TYPE BITS` (detail: SHA256 fingerprint)", services=SSH,
             report_only=True),
    FactSpec("ssh.rsa_key_bits", FactKind.INT, "ssh",
             "Size of the smallest RSA host key; not applicable without one", services=SSH),
)


class SshAuditProbe:
    name = "ssh"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = WIRE_FACTS | KEY_FACTS

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        names = sorted(wanted & self.provides)
        where = f"SSH server {target.address}:{target.port}"
        try:
            sock = ctx.connect(target)
            try:
                hello = read_hello(sock, min(ctx.deadline, time.monotonic() + ctx.timeout),
                                   where)
            finally:
                sock.close()
        except ProbeFailure as exc:
            return [exc.fact(n) for n in names]
        facts = [_wire_fact(n, hello) for n in names if n in WIRE_FACTS]
        if wanted & KEY_FACTS:
            facts += self._key_facts(target, wanted, ctx, hello)
        return facts

    def _key_facts(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
                   hello: ServerHello) -> list[Fact]:
        names = sorted(wanted & KEY_FACTS)
        offered = hello.kexinit.host_key
        try:
            keys, notes = host_keys(ctx, target, offered, rsa_only=HOST_KEYS not in wanted)
        except ProbeFailure as exc:
            return [exc.fact(n) for n in names]
        how = summary(say("summary.ssh.host_keys", families=offered), *notes)
        out = []
        if HOST_KEYS in wanted:
            out.append(Fact(name=HOST_KEYS, status=ProbeStatus.COMPLETED, value=tuple(keys),
                            summary=how))
        if RSA_BITS in wanted:
            rsa = [int(o.value.split()[1]) for o in keys if o.value.startswith("ssh-rsa ")]
            out.append(Fact(name=RSA_BITS, status=ProbeStatus.COMPLETED, value=min(rsa),
                            summary=how) if rsa else
                       Fact(name=RSA_BITS, status=ProbeStatus.NOT_APPLICABLE,
                            reason="the server has no RSA host key",
                            why=say("reason.ssh.no_rsa"), summary=how))
        return out


def _wire_fact(name: str, hello: ServerHello) -> Fact:
    k = hello.kexinit
    how = summary(say("summary.ssh.kexinit", ident=hello.ident))
    if name == IDENT:
        return Fact(name=name, status=ProbeStatus.COMPLETED, value=hello.ident, summary=how)
    if name == VERSION:
        version = openssh_version(hello.ident)
        if version is None:
            return Fact(name=name, status=ProbeStatus.NOT_APPLICABLE, summary=how,
                        reason=f"not an OpenSSH server ({hello.ident})",
                        why=say("reason.ssh.not_openssh", ident=hello.ident))
        return Fact(name=name, status=ProbeStatus.COMPLETED, value=version, summary=how)
    values = {KEX: k.kex, CIPHERS: k.ciphers, MACS: k.macs, HOST_KEY_ALGS: k.host_key,
              COMPRESSION: k.compression}[name]
    return Fact(name=name, status=ProbeStatus.COMPLETED,
                value=tuple(Observation(value=v) for v in values), summary=how)
