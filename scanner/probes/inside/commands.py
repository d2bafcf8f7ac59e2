"""The read-only commands the host checks run, and the one script that runs them.

Every command is listed here (README "Commands run on hosts" is generated from the same list):
nothing else is ever sent. The script goes to `sh -s` on stdin; each command runs under
`timeout` (when the host has it), its output is cut at CAP bytes, and it is framed by markers
carrying a random nonce, so a host's output can never fake another command's answer. Values
from the inventory (backup directories, files) are checked, then shell-quoted.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

CAP = 1 << 20  # bytes kept of one command's output
GROUP_OF = {  # check ID (what `sudo:` in the inventory names) -> its commands' section IDs
    "firewall": ("nft", "iptables"),
    "sockets": ("ss",),
    "sshd": ("sshd_t",),
    "sudoers": ("sudoers", "sudoers_d"),
    "backups": ("backup",),  # every backupN section
}


@dataclass(frozen=True)
class Command:
    id: str  # section ID in the output
    argv: tuple[str, ...]  # run as is; `*` in a path is a glob the remote shell expands
    purpose: str
    group: str = ""  # the check ID that may run it with sudo -n

    def shell(self, sudo: bool) -> str:
        words = [w if _is_glob(w) else shlex.quote(w) for w in self.argv]
        return " ".join(["sudo", "-n", *words] if sudo else words)


def _is_glob(word: str) -> bool:
    return (word.startswith("/etc/") and word.endswith("*.conf")) or word == "/etc/logrotate.d/*"


FIXED = (
    Command("now", ("date", "+%s"), "the host's clock, for file ages"),
    Command("nft", ("nft", "-j", "list", "ruleset"), "inbound default policy (nftables)",
            "firewall"),
    Command("iptables", ("iptables", "-S", "INPUT"), "inbound default policy (iptables)",
            "firewall"),
    Command("ss", ("ss", "-H", "-l", "-t", "-u", "-n", "-p"),
            "listening TCP/UDP sockets and their processes", "sockets"),
    Command("sshd_t", ("sshd", "-T"), "effective sshd settings", "sshd"),
    Command("sshd_files", ("grep", "-H", "", "/etc/ssh/sshd_config",
                           "/etc/ssh/sshd_config.d/*.conf"),
            "sshd settings from the configuration files when sshd -T is not permitted"),
    Command("ps", ("ps", "-e", "-o", "pid=,ppid=,user:32=,comm:32=,args="),
            "running processes: web workers' user, IDS, antivirus, backup and monitoring"),
    Command("aide", ("ls", "-1d", "/var/lib/aide/aide.db", "/var/lib/aide/aide.db.gz",
                     "/etc/cron.daily/aide", "/etc/cron.daily/aide-check",
                     "/lib/systemd/system/dailyaidecheck.timer"),
            "AIDE database and schedule"),
    Command("logrotate", ("grep", "-H", "", "/etc/logrotate.conf", "/etc/logrotate.d/*"),
            "log retention (logrotate)"),
    Command("journald", ("grep", "-H", "", "/etc/systemd/journald.conf",
                         "/etc/systemd/journald.conf.d/*.conf"), "log retention (journald)"),
    Command("rsyslog", ("grep", "-H", "", "/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf"),
            "log forwarding targets (rsyslog)"),
    Command("journal_upload", ("grep", "-H", "", "/etc/systemd/journal-upload.conf",
                               "/etc/systemd/journal-upload.conf.d/*.conf"),
            "log forwarding target (systemd-journal-upload)"),
    Command("passwd", ("getent", "passwd"), "accounts and their shells"),
    Command("group", ("getent", "group"), "sudo, wheel and admin group members"),
    Command("sudoers", ("cat", "/etc/sudoers"), "who may sudo", "sudoers"),
    Command("sudoers_d", ("find", "/etc/sudoers.d", "-maxdepth", "1", "-type", "f", "-exec",
                          "cat", "--", "{}", "+"), "who may sudo", "sudoers"),
)


def safe_path(path: str) -> str:
    """An absolute path without control characters; anything else is refused."""
    if not path.startswith("/") or any(not c.isprintable() for c in path) or len(path) > 4096:
        raise ValueError(f"expected an absolute path without control characters; got {path!r}")
    return path


def backup_section(index: int) -> str:
    """The output section of the `index`-th declared backup directory."""
    return f"backup{index}"


def declared(backup_dirs: Sequence[str], forward_file: str | None) -> tuple[Command, ...]:
    """Commands for what the inventory declares: one per backup directory, the forwarded file."""
    out = [Command(backup_section(i), ("find", safe_path(d), "-type", "f", "-printf", "%T@\\n"),
                   f"modification times of the files in backup directory {d}", "backups")
           for i, d in enumerate(backup_dirs)]
    if forward_file:
        out.append(Command("forward_age", ("stat", "-c", "%Y", "--", safe_path(forward_file)),
                           "time of the last forwarded log file"))
    return tuple(out)


def script(commands: Sequence[Command], sudo: frozenset[str], seconds: int,
           nonce: str | None = None) -> tuple[str, str]:
    """(the POSIX sh script, its nonce). `sudo`: check IDs whose commands run as `sudo -n`."""
    nonce = nonce or secrets.token_hex(8)
    lines = [
        "exec 3>&1",
        'PATH="$PATH:/usr/sbin:/sbin"; export LC_ALL=C',
        f"N={nonce}; C={CAP}",
        f"command -v timeout >/dev/null 2>&1 && TO='timeout -k 1 {int(seconds)}' || TO=",
        "r() {",
        '  i=$1; shift; echo "@@$N< $i"',
        '  rc=$( { { $TO "$@" </dev/null 2>&1; echo $? >&4; } | head -c $C >&3; } 4>&1 )',
        '  echo; echo "@@$N> $i $rc"',
        "}",
    ]
    for cmd in commands:
        lines.append(f"r {cmd.id} {cmd.shell(cmd.group in sudo)}")
    lines.append("exit 0")
    return "\n".join(lines) + "\n", nonce
