"""Test TCP connections from an SSH vantage point: one read-only shell command, parsed strictly.

Key authentication only, host key checked against the vantage's own known_hosts file. The
remote command uses what the host has (bash's /dev/tcp or nc, bounded by coreutils timeout)
and prints one `rmp-try ADDRESS PORT STATUS` line per attempt; nothing is installed or written.
"""

from __future__ import annotations

import ipaddress
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from scanner.limits import (
    MAX_KEY_BYTES,
    MAX_KNOWN_HOSTS_BYTES,
    check_regular,
    describe,
    read_bounded,
)
from scanner.models import ReasonCategory, Vantage
from scanner.probes.base import ProbeFailure

if TYPE_CHECKING:  # paramiko is imported where a session is opened (scanner.probes.ssh_client)
    import paramiko

TOOLS = ("bash", "nc")  # preference order
BATCH = 32  # attempts run in parallel in the remote shell
MAX_OUTPUT = 1 << 20
_TOOL_LABEL = {"bash": "bash /dev/tcp", "nc": "nc -z", "nc-w": "nc -z -w (no timeout command)"}


class State(StrEnum):
    OPEN = "open"
    REFUSED = "refused"
    TIMEOUT = "timed out"
    CLOSED = "closed"  # refused or timed out: the tool cannot tell which
    UNREACHABLE = "unreachable"


Attempt = tuple[str, int]  # (IP address, TCP port)


@dataclass(frozen=True)
class RemoteResult:
    tool: str  # how the vantage connected, e.g. "bash /dev/tcp"
    states: dict[Attempt, State]


@dataclass(frozen=True)
class Login:
    """Where and how to log in: key file or agent, host key checked against known_hosts."""

    where: str  # how the host is named in messages, e.g. "bastion (203.0.113.5)"
    address: str
    port: int
    user: str
    key_file: str | None
    known_hosts: str
    agent: bool = False
    trust_on_first_use: bool = False


def fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def connect_client(login: Login, timeout: float, deadline: float) -> paramiko.SSHClient:
    """An authenticated SSH client, or a ProbeFailure saying why not (never a password)."""
    ipaddress.ip_address(login.address)  # never a name: probes do not resolve
    where, port, user = login.where, login.port, login.user
    if login.key_file is not None and not os.path.exists(login.key_file):
        raise ProbeFailure(f"key file {login.key_file} for {where} not found",
                           ReasonCategory.BAD_INPUT)
    if login.key_file is not None:
        try:  # stat only: paramiko opens the key itself (it cannot be handed bytes of any type)
            check_regular(login.key_file, MAX_KEY_BYTES)
        except OSError as exc:
            raise ProbeFailure(f"cannot use key file {login.key_file} for {where}: "
                               f"{describe(exc)}", ReasonCategory.BAD_INPUT) from None
    if login.key_file is None and not login.agent:
        raise ProbeFailure(f"no key file and no agent for {where}: nothing to log in with",
                           ReasonCategory.BAD_INPUT)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProbeFailure(f"service time budget exhausted before connecting to {where}",
                           ReasonCategory.BUDGET_EXHAUSTED)
    step = min(timeout, remaining)
    import paramiko

    from scanner.probes.ssh_client import Reject, RfcTransport, TrustOnFirstUse, UnknownHostKey

    client = paramiko.SSHClient()
    try:
        try:
            load_known_hosts(client, login.known_hosts)
        except FileNotFoundError:
            if not login.trust_on_first_use:
                raise ProbeFailure(f"cannot read known_hosts {login.known_hosts} for {where}: "
                                   "no such file", ReasonCategory.BAD_INPUT) from None
        except OSError as exc:
            raise ProbeFailure(f"cannot read known_hosts {login.known_hosts} for {where}: "
                               f"{describe(exc)}", ReasonCategory.BAD_INPUT) from None
        client.set_missing_host_key_policy(TrustOnFirstUse(login.known_hosts)
                                           if login.trust_on_first_use else Reject())
        try:
            client.connect(login.address, port=port, username=user,
                           key_filename=login.key_file, look_for_keys=False,
                           allow_agent=login.agent, timeout=step, banner_timeout=step,
                           auth_timeout=step, channel_timeout=step,
                           transport_factory=RfcTransport)  # type: ignore[arg-type]  # stub
        except UnknownHostKey as exc:
            raise ProbeFailure(f"host key of {where} not in {login.known_hosts} (port "
                               f"{port}): it presented {fingerprint(exc.key)}; check this "
                               "fingerprint out of band, then add the key to known_hosts (or "
                               "scan once with --trust-on-first-use)",
                               ReasonCategory.NOT_PERMITTED) from None
        except paramiko.BadHostKeyException as exc:
            raise ProbeFailure(f"host key of {where} does not match {login.known_hosts} "
                               "(changed key or man in the middle): it presented "
                               f"{fingerprint(exc.key)}", ReasonCategory.NOT_PERMITTED) from None
        except paramiko.AuthenticationException as exc:
            how = f"key {login.key_file}" if login.key_file else "the SSH agent"
            raise ProbeFailure(f"SSH authentication to {where} as {user} with {how} "
                               f"refused: {exc}", ReasonCategory.NOT_PERMITTED) from None
        except TimeoutError:
            raise ProbeFailure(f"SSH connection to {where} port {port} timed out",
                               ReasonCategory.TIMEOUT) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise ProbeFailure(f"SSH connection to {where} port {port} failed: {why}",
                               _connect_category(exc)) from None
    except BaseException:
        client.close()
        raise
    return client


def _connect_category(exc: BaseException) -> ReasonCategory:
    """An SSH connection that failed: a peer that answers but not as an SSH server is a
    protocol error; paramiko's waits running out a timeout; no answer at all unreachable."""
    import paramiko

    text = str(exc).lower()
    if isinstance(exc, paramiko.SSHException) and not isinstance(exc, OSError):
        if "timeout" in text or "timed out" in text:
            return ReasonCategory.TIMEOUT
        if not text.startswith("error reading ssh protocol banner"):
            return ReasonCategory.PROTOCOL_ERROR
    return ReasonCategory.UNREACHABLE


def remote_script(attempts: Sequence[Attempt], seconds: int,
                  tools: Sequence[str] = TOOLS) -> str:
    """The POSIX sh script (fed to `sh -s`): pick a tool, run the attempts in parallel batches."""
    for address, port in attempts:  # never put anything unchecked into a shell command
        ipaddress.ip_address(address)
        if not 0 < int(port) < 65536:
            raise ValueError(f"bad port {port!r}")
    pick = {
        "bash": 'command -v bash >/dev/null 2>&1 && [ -n "$TO" ] && M=bash',
        "nc": 'command -v nc >/dev/null 2>&1 && nc -h 2>&1 | grep -q -e -z && '
              '{ [ -n "$TO" ] && M=nc || M=nc-w; }',  # an nc without -z would say "refused"
    }
    lines = [
        f"T={int(seconds)}; M=",
        "command -v timeout >/dev/null 2>&1 && TO=1 || TO=",
        *(f'[ -z "$M" ] && {{ {pick[t]}; }}' for t in tools),
        'echo "rmp-tool ${M:-none}"',
        '[ -n "$M" ] || exit 0',
        "p() {",
        '  case $M in',
        '    bash) timeout $T bash --norc --noprofile -c "</dev/tcp/$1/$2" >/dev/null 2>&1 ;;',
        '    nc) timeout $T nc -n -z "$1" "$2" >/dev/null 2>&1 ;;',
        '    nc-w) nc -n -z -w $T "$1" "$2" >/dev/null 2>&1 ;;',
        "  esac",
        '  echo "rmp-try $1 $2 $?"',
        "}",
    ]
    for i in range(0, len(attempts), BATCH):
        lines.append(" ".join(f"p {a} {p} &" for a, p in attempts[i:i + BATCH]) + " wait")
    lines.append("exit 0")
    return "\n".join(lines) + "\n"


def parse_output(text: str, attempts: Sequence[Attempt], vantage: str) -> RemoteResult:
    """Exactly one tool line, then exactly one line per attempt; anything else is an error."""
    def bad(why: str) -> ProbeFailure:
        return ProbeFailure(f"unexpected output from vantage {vantage}: {why}")

    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].startswith("rmp-tool "):
        raise bad(f"expected 'rmp-tool ...' first, got {(lines or [''])[0][:80]!r}")
    tool = lines[0].removeprefix("rmp-tool ")
    if tool == "none":
        raise ProbeFailure(f"vantage {vantage} has neither bash with timeout nor nc: cannot "
                           "test connections from it", ReasonCategory.TOOL_MISSING)
    if tool not in _TOOL_LABEL:
        raise bad(f"unknown tool {tool[:40]!r}")
    wanted = set(attempts)
    states: dict[Attempt, State] = {}
    for line in lines[1:]:
        parts = line.split(" ")
        if len(parts) != 4 or parts[0] != "rmp-try" or not parts[2].isdigit() \
                or not parts[3].isdigit():
            raise bad(f"{line[:80]!r}")
        key, code = (parts[1], int(parts[2])), int(parts[3])
        if key not in wanted:
            raise bad(f"an attempt that was not asked for: {line[:80]!r}")
        if key in states:
            raise bad(f"{parts[1]}:{parts[2]} reported twice")
        states[key] = _state(tool, code, vantage)
    missing = [f"{a}:{p}" for a, p in attempts if (a, p) not in states]
    if missing:
        raise bad(f"no result for {', '.join(missing[:5])}"
                  + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return RemoteResult(tool=_TOOL_LABEL[tool], states=states)


def _state(tool: str, code: int, vantage: str) -> State:
    if code == 0:
        return State.OPEN
    if code in (126, 127):  # the tool could not run
        raise ProbeFailure(f"the connection test failed to run on vantage {vantage} "
                           f"(exit status {code})", ReasonCategory.PROTOCOL_ERROR)
    if tool == "nc-w":
        return State.CLOSED
    return State.TIMEOUT if code in (124, 137) else State.REFUSED


def ssh_attempts(vantage: Vantage, attempts: Sequence[Attempt], timeout: float,
                 deadline: float, tools: Sequence[str] = TOOLS) -> RemoteResult:
    """Run the attempts from the vantage; every failure is a ProbeFailure."""
    seconds = max(1, math.ceil(min(timeout, 2.0)))
    script = remote_script(attempts, seconds, tools)
    client, where = open_client(vantage, timeout, deadline)
    transport = client.get_transport()
    try:
        batches = math.ceil(len(attempts) / BATCH)
        limit = min(batches * (seconds + 2) + timeout, max(deadline - time.monotonic(), 1.0))
        out, status = _run(client, script, limit, where)
    finally:
        client.close()
        if transport is not None:  # its thread holds the socket open until it ends
            transport.join(2.0)
    if status != 0:
        raise ProbeFailure(f"the connection test on vantage {where} exited with status {status}",
                           ReasonCategory.PROTOCOL_ERROR)
    return parse_output(out, attempts, vantage.name)


def load_known_hosts(client: paramiko.SSHClient, path: str) -> None:
    """Like `client.load_host_keys`, but reading a regular file of bounded size only."""
    import paramiko

    text = read_bounded(path, MAX_KNOWN_HOSTS_BYTES).decode("utf-8", "replace")
    keys = client.get_host_keys()
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, lineno)
        except paramiko.SSHException:
            continue
        if entry is not None and entry.key is not None:
            for host in entry.hostnames:
                keys.add(host, entry.key.get_name(), entry.key)


def open_client(vantage: Vantage, timeout: float, deadline: float
                ) -> tuple[paramiko.SSHClient, str]:
    """An SSH connection to the vantage (key auth, host key checked against its known_hosts)
    and how to name it in messages; every failure is a ProbeFailure."""
    where = f"{vantage.name} ({vantage.address})"
    client = connect_client(Login(where=where, address=vantage.address, port=vantage.port,
                                  user=vantage.user,
                                  # inventories write ~/.ssh/...
                                  key_file=os.path.expanduser(vantage.key_file),
                                  known_hosts=os.path.expanduser(vantage.known_hosts)),
                            timeout, deadline)
    return client, where


def _run(client: paramiko.SSHClient, script: str, limit: float, where: str
         ) -> tuple[str, int]:
    """Run the connection test, read its output within `limit` seconds; (stdout, status)."""
    out, status = run_script(client, script, limit, where, MAX_OUTPUT)
    try:
        return out.decode("ascii"), status
    except UnicodeDecodeError:
        raise ProbeFailure(f"unexpected output from vantage {where}: not ASCII") from None


def run_script(client: paramiko.SSHClient, script: str, limit: float, where: str,
               max_output: int) -> tuple[bytes, int]:
    """Feed `script` to `sh -s` (works under any login shell), read at most `max_output` bytes
    of its output within `limit` seconds; (stdout, exit status). Failures are ProbeFailures."""
    import paramiko

    transport = client.get_transport()
    if transport is None:
        raise ProbeFailure(f"SSH connection to {where} closed", ReasonCategory.RESET)
    end = time.monotonic() + limit
    try:
        chan = transport.open_session(timeout=limit)
        chan.settimeout(limit)
        chan.exec_command("sh -s")
        chan.sendall(script.encode("utf-8"))
        chan.shutdown_write()
        chan.settimeout(0.5)
        out = bytearray()
        while True:
            _check_time(end, limit, where)
            while chan.recv_stderr_ready():
                chan.recv_stderr(65536)  # drained, not used: the tools' chatter
            try:
                chunk = chan.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break  # end of output
            out += chunk
            if len(out) > max_output:
                raise ProbeFailure(f"unexpected output from {where}: more than {max_output} "
                                   "bytes")
        while not chan.exit_status_ready():
            _check_time(end, limit, where)
            if not transport.is_active():
                raise ProbeFailure(f"SSH connection to {where} dropped before the commands "
                                   "finished", ReasonCategory.RESET)
            time.sleep(0.02)
        status = chan.recv_exit_status()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise ProbeFailure(f"SSH command on {where} failed: "
                           f"{exc or type(exc).__name__}", ReasonCategory.RESET) from None
    return bytes(out), status


def _check_time(end: float, limit: float, where: str) -> None:
    if time.monotonic() > end:
        raise ProbeFailure(f"the commands on {where} did not finish within {limit:.0f} s",
                           ReasonCategory.TIMEOUT)
