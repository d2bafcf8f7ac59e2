"""Names from inventories and packs reach the terminal as data: markup shown literally, escape
sequences and other control characters shown escaped, never obeyed (nor crashing Rich)."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.termtext import rich_safe, safe

# Rich markup, an OSC title change + bell, clear screen, a bidi override, a C1 control
HOSTILE = "[bold red]M[/bold red][link=file:///etc]\x1b]0;PWNED\x07\x1b[2J\u202e\x9b"
RAW = ("\x1b]0;", "\x1b[2J", "\x07", "\u202e", "\x9b")  # never printed as such


REMPART = str(Path(sys.executable).with_name("rempart"))


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def inventory(closed: int) -> dict[str, Any]:
    h = HOSTILE
    return {
        "rempart": 1,
        "contract": {"customer": "C" + h},
        "scope": ["127.0.0.0/8"],
        "roles": {"web" + h: {"allowed_ports": ["443/tcp"], "description": "d" + h,
                              "allowed_services": ["s" + h]}},
        "hosts": [{"name": "web", "address": "127.0.0.1", "role": "web" + h,
                   "services": [{"port": closed, "protocol": "https",
                                 "protected_urls": ["/" + h]}]}],
        "vantages": {"v" + h: {"address": "127.0.0.1", "port": closed, "user": "u" + h,
                               "key_file": "/nonexistent/k" + h,
                               "known_hosts": "/nonexistent/kh" + h}},
        "zones": {"users" + h: {"vantage": "local"}, "admins" + h: {"vantage": "v" + h},
                  "dmz" + h: {"hosts": ["web"]}},
        "flows": [{"from": "users" + h, "to": "dmz" + h, "port": "443/tcp"}],
        "mail": {"dns_server": f"127.0.0.1:{closed}",
                 "sending_domains": [{"domain": "mail.example", "ips": ["127.0.0.1"]}]},
    }


def pack() -> dict[str, Any]:
    h = HOSTILE
    return {
        "rempart": 1,
        "pack": {"id": "hostile", "version": "1" + h, "title": "T" + h},
        "sources": {"DOC": {"title": "S" + h, "reference": "R" + h}},
        "requirements": {"REQ-TLS-01": {"text": "X" + h, "source": "DOC"}},
        "rules": [{"id": "HOST-TLS-001", "title": {"en": "R" + h, "fr": "F" + h},
                   "severity": "high", "requirements": ["REQ-TLS-01"],
                   "check": {"fact": "tls.protocols", "none_of": ["SSLv3"]},
                   "rationale": "r" + h, "remediation": "m" + h,
                   "references": ["https://example.com/" + h]}],
        "overrides": [{"rule": "HOST-TLS-001", "severity": "high", "reason": "o" + h}],
    }


def in_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run `rempart ARGS` with stdout and stderr on a pseudo-terminal (Rich draws its
    progress bar there); everything the terminal received, decoded."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([REMPART, *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=60), out.decode("utf-8", "replace")


def assert_neutralised(output: str) -> None:
    assert "Traceback" not in output, output
    assert "MarkupError" not in output, output
    for raw in RAW:
        assert raw not in output, (raw, output)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "inv.yaml").write_text(json.dumps(inventory(free_port())))
    (d / "pack.yaml").write_text(json.dumps(pack()))
    return d


@pytest.mark.parametrize("args", [
    ["inventory", "validate", "inv.yaml"],
    ["rules", "list", "--rules", "pack.yaml"],
    ["rules", "show", "HOST-TLS-001", "--rules", "pack.yaml"],
    ["rules", "validate", "pack.yaml"],
], ids=lambda a: " ".join(a[:2]))
def test_listing_commands_show_hostile_names_escaped(files: Path, args: list[str]) -> None:
    status, output = in_terminal(args, files)
    assert status == 0, output
    assert_neutralised(output)
    if args[:2] in (["rules", "list"], ["rules", "show"]):
        assert "[bold red]M[/bold red]" in output  # markup shown as written
        assert "\\x1b]0;PWNED\\x07" in output  # the escape shown, visibly


def test_scan_with_hostile_names_draws_its_progress_and_summary(files: Path) -> None:
    status, output = in_terminal(
        ["scan", "inv.yaml", "--no-default-rules", "--rules", "pack.yaml", "--rules",
         "network-baseline", "--ports", "1-20", "--timeout", "0.5", "--service-budget", "10",
         "--json", "out.json"], files)
    assert status in (1, 3), output  # a real verdict (a crash was status 1 too: MarkupError)
    assert_neutralised(output)
    assert "Verdict: " in output  # the summary came after the progress bar
    assert (files / "out.json").is_file()
    assert "C[bold red]M[/bold red]" in output  # the customer, in the summary's header


@pytest.mark.parametrize(("change", "expected"), [
    (lambda inv: inv["hosts"][0].update({"x" + HOSTILE: 1}), "unknown field 'x[bold red]"),
    (lambda inv: inv["hosts"][0].update({"role": "nope" + HOSTILE}), "unknown role 'nope"),
    (lambda inv: inv["zones"]["users" + HOSTILE].update({"vantage": "w" + HOSTILE}),
     "unknown vantage 'w"),
], ids=["field", "role", "vantage"])
def test_errors_naming_hostile_fields_are_escaped(tmp_path: Path, change: Any,
                                                  expected: str) -> None:
    inv = inventory(free_port())
    change(inv)
    (tmp_path / "inv.yaml").write_text(json.dumps(inv))
    status, output = in_terminal(["inventory", "validate", "inv.yaml"], tmp_path)
    assert status == 2, output
    assert expected in output
    assert_neutralised(output)


def test_safe_text_helpers() -> None:
    assert safe("a\x1b[31mb\nc") == "a\\x1b[31mb\\x0ac"
    assert safe("a\x1bb\nc", lines=True) == "a\\x1bb\nc"
    assert safe("\u202eabc\u200b") == "\\u202eabc\\u200b"
    assert rich_safe("[bold]x[/bold]") == "\\[bold]x\\[/bold]"
