"""The demo's SSH hosts: a compliant bastion and a legacy host (weak SSH algorithms, a firewall
that accepts by default, stale backups, a contractor with sudo), each a real sshd in its own
network, mount and PID namespaces (nshosts.py). They need root; without it the demo says so
and runs without them. The demo logs in as root with a throwaway key (a real scan uses a
least-privilege account: README, "A least-privilege scan account").
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ruamel.yaml import YAML

from scanner.demo.nshosts import HostLab, HostState, missing_requirements
from scanner.demo.sshd import HARDENED, WEAK

SSH_PORT = 40022  # inside the demo's port-scan range, so the exposure scan sees it
REPLICATION_PORT = 45432  # the bastion's: listens on every interface, filtered by its firewall
ROLE = "ssh-bastion"
HOUR, DAY = 3600, 86400
_BASTION_FW = f"""table inet filter {{
  chain input {{
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport {SSH_PORT} accept
    meta l4proto tcp reject with tcp reset
  }}
}}
"""
_LEGACY_FW = """table inet filter {
  chain input { type filter hook input priority 0; policy accept; }
}
"""
_USERS = "alice:x:1001:1001::/tmp:/bin/bash\next-bob:x:1003:1003::/tmp:/bin/bash\n"
STORIES = {
    "bastion": "compliant SSH bastion: modern algorithms only, firewall drops by default "
               "(a replication port listens on every interface but is filtered), fail2ban, "
               "ClamAV, fresh backups, logs kept 200 days and forwarded",
    "legacy-ssh": "legacy host: diffie-hellman-group1, 3DES/CBC, hmac-md5, ssh-dss and a 2048-bit "
                  "RSA key, firewall accepting by default, root password login, stale backups, "
                  "a contractor with sudo, Redis on every interface",
}


def _etc(sudo: str, extra: str = "", logs: int = 200, forward: bool = True) -> dict[str, str]:
    users = _USERS + extra
    group = "".join(f"sudo:x:27:{sudo}\n" if line.startswith("sudo:") else line + "\n"
                    for line in Path("/etc/group").read_text().splitlines())
    names = [u.split(":")[0] for u in users.splitlines()]
    etc = {"passwd": Path("/etc/passwd").read_text() + users,
           "group": group + "".join(f"{n}:x:{1001 + i}:\n" for i, n in enumerate(names)),
           "shadow": Path("/etc/shadow").read_text() + "".join(f"{n}:*:20000:0:99999:7:::\n"
                                                               for n in names),
           "logrotate.conf": "weekly\nrotate 4\ninclude /etc/logrotate.d\n",
           "logrotate.d/nginx": f"/var/log/nginx/*.log {{\n  daily\n  rotate {logs}\n}}\n"}
    if forward:
        etc["rsyslog.d/60-forward.conf"] = ('action(type="omfwd" target="logs.demo.rempart.test" '
                                            'port="6514" protocol="tcp")\n')
    return etc


def states() -> list[HostState]:
    return [
        HostState("bastion", _BASTION_FW, _etc("alice"), ssh_port=SSH_PORT,
                  sshd_settings=HARDENED,
                  host_keys=(("ed25519", None), ("rsa", 3072)),
                  daemons=[("fail2ban-server", "root"), ("nginx", "www-data"),
                           ("clamd", "root"), ("rsyslogd", "root"), ("borg", "root"),
                           ("zabbix_agentd", "root")],
                  listen=[f"0.0.0.0:{REPLICATION_PORT}"]),
        HostState("legacy-ssh", _LEGACY_FW,
                  _etc("ext-bob", "admin:x:1005:1005::/tmp:/bin/bash\n", logs=14,
                       forward=False),
                  ssh_port=SSH_PORT, host_keys=(("ed25519", None), ("rsa", 2048), ("dsa", None)),
                  sshd_settings={**WEAK, "PermitRootLogin": "yes",
                                 "PasswordAuthentication": "yes", "AuthenticationMethods": ""},
                  daemons=[("nginx", "root"), ("zabbix_agentd", "root")],
                  listen=["0.0.0.0:6379"]),
    ]


def _files(directory: Path, ages: Sequence[float]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for i, age in enumerate(ages):
        f = directory / f"backup-{i}.tar.zst"
        f.write_text("demo")
        os.utime(f, (now - age, now - age))


def _backups(root: Path, fresh: bool) -> None:
    ages = ([20 * 60, DAY, 20 * DAY], [10 * 60, 61 * DAY], [HOUR, 31 * DAY]) if fresh else \
        ([30 * HOUR, 3 * DAY], [5 * HOUR, 9 * DAY], [2 * DAY, 12 * DAY])
    for name, a in zip(("full", "db", "offsite"), ages, strict=True):
        _files(root / name, a)
    _files(root / "forwarded", [])
    last = root / "forwarded" / "last"
    last.write_text("demo")
    age = 15 if fresh else 2 * HOUR
    os.utime(last, (time.time() - age, time.time() - age))


@contextlib.contextmanager
def ssh_hosts(workdir: Path) -> Iterator[HostLab | None]:
    """Start the demo's SSH hosts, or yield None (with the reason on `why`) when not root."""
    if missing_requirements() is not None:
        yield None
        return
    workdir.mkdir(parents=True, exist_ok=True)
    lab = HostLab(workdir)
    stop = threading.Event()
    try:
        for state in states():
            lab.add(state)
            _backups(workdir / "data" / state.name, fresh=state.name == "bastion")
        forwarder = threading.Thread(target=_forward, args=(workdir / "data" / "bastion", stop),
                                     daemon=True)
        forwarder.start()
        yield lab
    finally:
        stop.set()
        lab.close()


def _forward(root: Path, stop: threading.Event) -> None:
    """The bastion's log forwarder at work: its last forwarded file stays ~15 s old however
    long the demo's week of scans takes (a slow machine must not turn the story into a
    failure of HST-LOGFWD-002, whose limit is 60 s)."""
    last = root / "forwarded" / "last"
    while not stop.wait(5.0):
        with contextlib.suppress(OSError):
            os.utime(last, (time.time() - 15, time.time() - 15))


def why_not() -> str | None:
    return missing_requirements()


def add_to_inventory(text: str, lab: HostLab) -> str:
    """The demo inventory plus the SSH hosts: role, scope, SSH service and `inside` block."""
    yaml = YAML()
    data = yaml.load(text)
    data.setdefault("roles", {})[ROLE] = {"allowed_ports": [f"{SSH_PORT}/tcp",
                                                            f"{REPLICATION_PORT}/tcp"],
                                          "allowed_services": ["ssh"]}
    for host in lab.hosts.values():
        data["scope"].append(f"{host.address}/32")
        data_dir = lab.dir / "data" / host.state.name
        data["hosts"].append({
            "name": host.state.name, "address": host.address, "role": ROLE,
            "services": [{"port": SSH_PORT, "protocol": "ssh"}],
            "inside": {
                "user": "root", "port": SSH_PORT, "key_file": str(lab.client_key),
                "known_hosts": str(lab.known_hosts),
                "backups": [
                    {"path": str(data_dir / "full"), "rpo_minutes": 120, "retention_days": 14},
                    {"path": str(data_dir / "db"), "kind": "database", "rpo_minutes": 60,
                     "retention_days": 60},
                    {"path": str(data_dir / "offsite"), "kind": "offsite",
                     "retention_days": 30}],
                "log_paths": ["/var/log/nginx/access.log"],
                "log_forwarding": {"last_file": str(data_dir / "forwarded" / "last")},
                "offsite_copy": "backup.demo.rempart.test:/srv/copies",
                "contractor_accounts": ["ext-bob"]}})
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
