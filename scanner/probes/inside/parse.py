"""Pure parsers: one command's text in, plain values out; they raise ValueError on garbage."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.models import Observation

WILDCARDS = ("*", "0.0.0.0", "::")  # noqa: S104 (what ss prints for "every address")
NO_LOGIN_SHELLS = ("nologin", "false", "sync", "shutdown", "halt")
SUDO_GROUPS = ("sudo", "wheel", "admin")
WEB_SERVERS = ("nginx", "apache2", "httpd", "lighttpd", "caddy", "php-fpm")
IDS = {"fail2ban-server": "fail2ban", "crowdsec": "crowdsec", "suricata": "suricata",
       "Suricata-Main": "suricata", "wazuh-agentd": "wazuh", "wazuh-analysisd": "wazuh",
       "ossec-agentd": "ossec", "ossec-analysisd": "ossec", "snort": "snort"}
AV = {"clamd": "clamav", "wazuh-syscheckd": "wazuh-syscheck", "ossec-syscheckd": "ossec-syscheck"}
OPS = {"borg": "backup", "restic": "backup", "bacula-fd": "backup", "bareos-fd": "backup",
       "burp": "backup", "urbackupclientbackend": "backup", "veeamagent": "backup",
       "zabbix_agentd": "monitoring", "zabbix_agent2": "monitoring",
       "node_exporter": "monitoring", "prometheus-node-exporter": "monitoring",
       "telegraf": "monitoring", "nrpe": "monitoring", "datadog-agent": "monitoring",
       "netdata": "monitoring", "icinga2": "monitoring", "collectd": "monitoring"}
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}


# ---- firewall ---------------------------------------------------------------------------

def nft_input_policy(text: str) -> tuple[str, str] | None:
    """(policy, how) from `nft -j list ruleset`; None when no chain hooks input."""
    data = json.loads(text)
    items = data["nftables"]
    chains = [i["chain"] for i in items if "chain" in i and i["chain"].get("hook") == "input"]
    if not chains:
        return None
    rules: dict[tuple[str, str, str], list[list[dict[str, object]]]] = {}
    for item in items:
        if "rule" in item:
            r = item["rule"]
            rules.setdefault((r["family"], r["table"], r["chain"]), []).append(r["expr"])
    verdicts = []
    for c in chains:
        name = f"{c['family']} {c['table']} {c['name']}"
        last = (rules.get((c["family"], c["table"], c["name"])) or [[]])[-1]
        final = _unconditional(last)
        verdicts.append((final or c.get("policy", "accept"),
                         f"{name}: policy {c.get('policy', 'accept')}"
                         + (f", ends with an unconditional {final}" if final else "")))
    for wanted in ("drop", "reject"):  # every input chain must accept a packet: one drop wins
        if any(v == wanted for v, _ in verdicts):
            return wanted, "; ".join(h for _, h in verdicts)
    return "accept", "; ".join(h for _, h in verdicts)


def _unconditional(expr: list[dict[str, object]]) -> str | None:
    keys = [next(iter(e)) for e in expr]
    if keys and set(keys) <= {"counter", "log", "drop", "reject"}:
        return "drop" if "drop" in keys else "reject" if "reject" in keys else None
    return None


def iptables_input_policy(text: str) -> tuple[str, str]:
    for line in text.splitlines():
        m = re.match(r"^-P INPUT (ACCEPT|DROP|REJECT)$", line.strip())
        if m:
            return m.group(1).lower(), f"iptables: {line.strip()}"
    raise ValueError("no '-P INPUT' line in iptables -S INPUT")


# ---- sockets ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Socket:
    proto: str  # tcp | udp
    address: str
    port: int
    process: str

    @property
    def loopback(self) -> bool:
        return self.address not in WILDCARDS and \
            ipaddress.ip_address(self.address).is_loopback

    @property
    def wildcard(self) -> bool:
        return self.address in WILDCARDS


def sockets(text: str) -> list[Socket]:
    """`ss -H -l -t -u -n -p` lines."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 6 or parts[0] not in ("tcp", "udp"):
            raise ValueError(f"unexpected ss line: {line[:80]!r}")
        local = parts[4]
        address, _, port = local.rpartition(":")
        address = address.strip("[]").split("%")[0]
        if address.startswith("::ffff:"):
            address = address.removeprefix("::ffff:")
        if address != "*":
            ipaddress.ip_address(address)
        names = dict.fromkeys(re.findall(r'\("([^"]+)",pid=', " ".join(parts[6:])))
        out.append(Socket(parts[0], address, int(port), ",".join(names) or "?"))
    return out


def listening(socks: Iterable[Socket]) -> tuple[Observation, ...]:
    by_port: dict[str, list[str]] = {}
    for s in socks:
        if not s.loopback:
            by_port.setdefault(f"{s.port}/{s.proto}", []).append(f"{s.address} {s.process}")
    return tuple(Observation(value=k, detail="; ".join(sorted(set(v))))
                 for k, v in sorted(by_port.items(), key=lambda kv: _port_key(kv[0])))


def _port_key(value: str) -> tuple[int, str]:
    port, _, proto = value.partition("/")
    return int(port), proto


# ---- sshd -------------------------------------------------------------------------------

SSHD_DEFAULTS = {"permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
                 "kbdinteractiveauthentication": "yes"}
PASSWORD_KEYS = ("passwordauthentication", "kbdinteractiveauthentication")


def sshd_t(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            out[key.lower()] = value.strip()
    if "permitrootlogin" not in out:
        raise ValueError("sshd -T printed no permitrootlogin line")
    return {**SSHD_DEFAULTS, **out}


def grep_files(text: str) -> dict[str, list[str]]:
    """`grep -H "" FILE...` -> file -> its lines (error lines of grep are skipped)."""
    files: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("grep: "):
            continue
        path, sep, rest = line.partition(":")
        if sep and path.startswith("/"):
            files.setdefault(path, []).append(rest)
    return files


def sshd_files(text: str, main: str = "/etc/ssh/sshd_config") -> dict[str, str]:
    """Effective global settings from the files: first value wins, Include spliced in place,
    everything after the first Match ignored (it is conditional)."""
    files = grep_files(text)
    if main not in files:
        raise ValueError(f"{main} could not be read")
    out: dict[str, str] = {}

    def walk(path: str, depth: int) -> bool:
        for raw in files.get(path, []):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            key = words[0].lower()
            if key == "match":
                return False
            if key == "include" and depth < 8:
                for pattern in words[1:]:
                    pattern = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                    for inc in sorted(p for p in files if fnmatch.fnmatch(p, pattern)):
                        if not walk(inc, depth + 1):
                            return False
                continue
            if len(words) > 1:
                out.setdefault("kbdinteractiveauthentication" if key ==
                               "challengeresponseauthentication" else key, words[1].lower())
        return True

    walk(main, 0)
    return {**SSHD_DEFAULTS, **out}


# ---- accounts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    shell: str

    @property
    def login(self) -> bool:
        return bool(self.shell) and self.shell.rsplit("/", 1)[-1] not in NO_LOGIN_SHELLS


def passwd(text: str) -> dict[str, Account]:
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        f = line.split(":")
        if len(f) != 7:
            raise ValueError(f"unexpected passwd line: {line[:80]!r}")
        out[f[0]] = Account(f[0], int(f[2]), f[6])
    return out


def groups(text: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) == 4:
            out[f[0]] = tuple(m for m in f[3].split(",") if m)
    return out


def sudo_accounts(groups_: dict[str, tuple[str, ...]], sudoers: str
                  ) -> dict[str, str]:
    """Account -> how it may sudo: a sudo/wheel/admin group, or a sudoers line."""
    out: dict[str, str] = {}
    for g in SUDO_GROUPS:
        for member in groups_.get(g, ()):
            out.setdefault(member, f"group {g}")
    for raw in sudoers.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#include") else ""
        if not line or "=" not in line:
            continue
        first = line.split()[0]
        if first in ("Defaults", "@include", "@includedir") or first.startswith("Defaults") \
                or first.endswith("_Alias"):
            continue
        for who in first.split(","):
            if who.startswith("%"):
                for member in groups_.get(who[1:], ()):
                    out.setdefault(member, f"sudoers %{who[1:]}")
            else:
                out.setdefault(who, "sudoers")
    return out


# ---- processes --------------------------------------------------------------------------

@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    user: str
    comm: str
    args: str

    def named(self, name: str) -> bool:
        """comm is cut at 15 characters by the kernel; args[0] may carry a path."""
        exe = self.args.split(" ", 1)[0].rsplit("/", 1)[-1].rstrip(":")
        return self.comm == name[:15] or exe == name


def processes(text: str) -> list[Process]:
    out = []
    for line in text.splitlines():
        parts = line.split(None, 4)
        if not parts:
            continue
        if len(parts) < 4 or not parts[0].isdigit() or not parts[1].isdigit():
            raise ValueError(f"unexpected ps line: {line[:80]!r}")
        out.append(Process(int(parts[0]), int(parts[1]), parts[2], parts[3],
                           parts[4] if len(parts) > 4 else parts[3]))
    return out


def named(procs: Iterable[Process], table: dict[str, str]) -> tuple[Observation, ...]:
    found: dict[str, set[str]] = {}
    for p in procs:
        for name, label in table.items():
            if p.named(name):
                found.setdefault(label, set()).add(f"{name} (pid {p.pid}, {p.user})")
    return tuple(Observation(value=k, detail=", ".join(sorted(v)))
                 for k, v in sorted(found.items()))


def web_workers(procs: list[Process], accounts: dict[str, Account]
                ) -> tuple[Observation, ...] | None:
    """Kinds of account the web server's workers run as; None without a web server.

    A worker is a web-server process whose parent is one too (nginx, Apache, php-fpm pools),
    or a web-server process with no such child (a single-process server)."""
    family = {p.pid: p for p in procs if any(p.named(n) for n in WEB_SERVERS)}
    if not family:
        return None
    parents = {p.ppid for p in family.values()}
    workers = [p for p in family.values() if p.ppid in family or p.pid not in parents]
    kinds: dict[str, set[str]] = {}
    for p in workers:
        account = accounts.get(p.user)
        kind = ("root" if p.user == "root" or (account and account.uid == 0) else
                "login_user" if account is None or account.login else "service_user")
        kinds.setdefault(kind, set()).add(f"{p.comm} as {p.user}")
    return tuple(Observation(value=k, detail=", ".join(sorted(v)))
                 for k, v in sorted(kinds.items()))


# ---- logs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rotation:
    patterns: tuple[str, ...]
    days: int
    where: str


def logrotate(text: str, main: str = "/etc/logrotate.conf") -> list[Rotation]:
    """Every stanza with its retention in days: rotate × period, capped by maxage."""
    files = grep_files(text)
    glob: dict[str, int | str] = {"rotate": 0, "period": "daily"}
    for line in files.get(main, []):  # global defaults: directives outside braces
        if "{" in line:
            break
        _directive(line, glob)
    out = []
    for path in [main, *sorted(p for p in files if p != main)]:
        current: dict[str, int | str] | None = None
        patterns: list[str] = []
        for raw in files[path]:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if current is None and line.endswith("{"):
                patterns = line[:-1].split()
                current = dict(glob)
            elif current is not None and line == "}":
                days = int(current["rotate"]) * PERIOD_DAYS[str(current["period"])] \
                    + PERIOD_DAYS[str(current["period"])]
                if "maxage" in current:
                    days = min(days, int(current["maxage"]))
                out.append(Rotation(tuple(p.strip('"') for p in patterns), days, path))
                current = None
            elif current is not None:
                _directive(line, current)
    return out


def _directive(line: str, into: dict[str, int | str]) -> None:
    words = line.split()
    if not words:
        return
    if words[0] in PERIOD_DAYS:
        into["period"] = words[0]
    elif words[0] in ("rotate", "maxage") and len(words) > 1 and words[1].isdigit():
        into[words[0]] = int(words[1])


def covers(rotation: Rotation, path: str) -> bool:
    return any(fnmatch.fnmatch(path, p) or p.startswith(path.rstrip("/") + "/")
               for p in rotation.patterns)


def journald_retention_days(text: str) -> int | None:
    """MaxRetentionSec of journald in days; None when unset (journald keeps by size)."""
    value = None
    for lines in grep_files(text).values():
        for raw in lines:
            key, _, v = raw.strip().partition("=")
            if key.strip() == "MaxRetentionSec" and v.strip():
                value = v.strip()
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)\s*(s|min|h|d|day|days|week|weeks|month|months|year|years|)", value)
    if not m:
        raise ValueError(f"unexpected MaxRetentionSec={value!r}")
    factor = {"": 1 / 86400, "s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1, "day": 1,
              "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365,
              "years": 365}[m.group(2)]
    return int(int(m.group(1)) * factor)


_LEGACY_FWD = re.compile(r"(?:^|\s)(@@?)(?:\([^)]*\))?(\[[^\]]+\]|[^\s:;@]+)(?::(\d+))?")
_OMFWD = re.compile(r"action\s*\(([^)]*)\)", re.DOTALL)


def rsyslog_targets(text: str) -> list[Observation]:
    out = []
    for path, lines in grep_files(text).items():
        body = "\n".join(line.split("#", 1)[0] for line in lines)
        for line in body.splitlines():
            if "action(" in line or line.strip().startswith(("$", "module(", "input(")):
                continue
            m = _LEGACY_FWD.search(line)
            if m:
                proto = "tcp" if m.group(1) == "@@" else "udp"
                out.append(Observation(value=f"{m.group(2)}:{m.group(3) or 514}/{proto}",
                                       detail=f"rsyslog {path}"))
        for m in _OMFWD.finditer(body):
            attrs = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', m.group(1)))
            if attrs.get("type") == "omfwd" and attrs.get("target"):
                out.append(Observation(
                    value=f"{attrs['target']}:{attrs.get('port', '514')}/"
                          f"{attrs.get('protocol', 'udp')}", detail=f"rsyslog {path}"))
    return out


def journal_upload_targets(text: str) -> list[Observation]:
    out = []
    for path, lines in grep_files(text).items():
        for raw in lines:
            key, _, v = raw.strip().partition("=")
            if key.strip() == "URL" and v.strip():
                out.append(Observation(value=v.strip(), detail=f"systemd-journal-upload {path}"))
    return out


# ---- files ------------------------------------------------------------------------------

def mtimes(text: str) -> list[float]:
    """`find DIR -type f -printf '%T@\\n'`; error lines (find: ...) are the caller's."""
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("find: "):
            out.append(float(line))
    return out
