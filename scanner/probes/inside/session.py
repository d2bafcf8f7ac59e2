"""One authenticated SSH session per host: run the command script, split its answers.

The login (key or agent, host key checked against known_hosts) is the vantage code's
`connect_client`, shared with the flow probe.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.models import ReasonCategory
from scanner.probes.base import ProbeFailure
from scanner.probes.inside.commands import CAP, Command, script
from scanner.probes.vantage import Login, connect_client, run_script

TOOL_MISSING, TIMED_OUT = 127, 124


@dataclass(frozen=True)
class Answer:
    """What one command printed (stdout and stderr together) and its exit status."""

    text: str
    status: int
    truncated: bool = False

    def problem(self, what: str) -> tuple[str, ReasonCategory] | None:
        """Why this answer cannot be used, and its category; None when it can."""
        if self.truncated:
            return f"{what}: output longer than {CAP} bytes (cut)", ReasonCategory.PROTOCOL_ERROR
        if self.status == TOOL_MISSING:
            return f"{what}: command not found on the host", ReasonCategory.TOOL_MISSING
        if self.status == TIMED_OUT:
            return f"{what}: timed out on the host", ReasonCategory.TIMEOUT
        if _DENIED.search(self.text):
            return (f"{what}: not permitted ({first_line(self.text)})",
                    ReasonCategory.NOT_PERMITTED)
        return None


_DENIED = re.compile(r"Operation not permitted|Permission denied|a password is required|"
                     r"a terminal is required|not allowed to execute|may not run sudo|"
                     r"sudo: .*not found|must be run as root", re.IGNORECASE)


def first_line(text: str) -> str:
    line = next((x for x in text.splitlines() if x.strip()), "")
    return "".join(c if c.isprintable() else "?" for c in line)[:160]


def split_answers(raw: bytes, nonce: str, ids: Sequence[str]) -> dict[str, Answer]:
    """Sections framed by `@@NONCE< ID` and `@@NONCE> ID STATUS`; unframed text is ignored."""
    text = raw.decode("utf-8", "replace")
    out: dict[str, Answer] = {}
    pattern = re.compile(rf"^@@{nonce}< (\S+)\n(.*?)\n@@{nonce}> \1 (\d*)$",
                         re.DOTALL | re.MULTILINE)
    for m in pattern.finditer(text):
        ident, body, status = m.group(1), m.group(2), m.group(3)
        if ident not in ids or ident in out:
            continue
        out[ident] = Answer(text=body, status=int(status) if status else 255,
                            truncated=len(body.encode("utf-8", "replace")) >= CAP)
    return out


def run_commands(login: Login, commands: Sequence[Command], sudo: frozenset[str],
                 timeout: float, deadline: float) -> tuple[dict[str, Answer], str]:
    """Log in once and run every command; a failed login or session is a ProbeFailure.
    Returns the complete answers and, when the session ended early, why the rest is missing
    (answers framed before a drop are whole: each ends with its own marker)."""
    per_command = max(1, int(min(timeout * 2, 30)))
    text, nonce = script(commands, sudo, per_command)
    client = connect_client(login, timeout, deadline)
    try:
        limit = max(1.0, min(len(commands) * (per_command + 1) + timeout,
                             deadline - time.monotonic()))
        raw, status = run_script(client, text, limit, login.where,
                                 max_output=len(commands) * (CAP + 256) + 4096)
    finally:
        client.close()
    answers = split_answers(raw, nonce, [c.id for c in commands])
    if not answers:
        raise ProbeFailure(f"no answer from {login.where}: the session ended before the "
                           "first command finished")
    ended = "" if status == 0 else (f"the SSH session to {login.where} ended before this "
                                    f"command finished (exit status {status}: connection "
                                    "dropped?)")
    return answers, ended
