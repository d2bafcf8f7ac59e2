"""A compliant host and a non-compliant one, as prepared states for the host lab, and the
inventory that declares them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from scanner.demo.nshosts import HostLab, HostState

HOUR, DAY = 3600, 86400
DROP = """table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport { 22, 443 } accept
  }
}
"""
ACCEPT = """table inet filter {
  chain input { type filter hook input priority 0; policy accept; }
}
"""
USERS = ("alice:x:1001:1001::/tmp:/bin/bash\nbob:x:1002:1002::/tmp:/bin/bash\n"
         "ext-carol:x:1003:1003::/tmp:/bin/bash\nrmpscan:x:1004:1004::/tmp:/bin/sh\n")
GROUPS = "alice:x:1001:\nbob:x:1002:\next-carol:x:1003:\nrmpscan:x:1004:\n"
SCAN_SUDO = "rmpscan ALL=(root) NOPASSWD: /usr/sbin/nft -j list ruleset\n"
FORWARD = 'action(type="omfwd" target="203.0.113.250" port="6514" protocol="tcp")\n'


def _etc(sudo_members: str, extra_users: str = "") -> dict[str, str]:
    passwd = Path("/etc/passwd").read_text() + USERS + extra_users
    group = "".join(f"sudo:x:27:{sudo_members}\n" if line.startswith("sudo:") else line + "\n"
                    for line in Path("/etc/group").read_text().splitlines()) + GROUPS
    users = [line.split(":")[0] for line in (USERS + extra_users).splitlines()]
    shadow = Path("/etc/shadow").read_text() + "".join(f"{u}:*:20000:0:99999:7:::\n"
                                                        for u in users)  # "*": not locked
    return {"passwd": passwd, "group": group, "shadow": shadow, "sudoers.d/rmpscan": SCAN_SUDO}


def good_state() -> HostState:
    etc = _etc("alice") | {
        "logrotate.conf": "weekly\nrotate 4\ninclude /etc/logrotate.d\n",
        "logrotate.d/nginx": "/var/log/nginx/*.log {\n  daily\n  rotate 200\n  missingok\n}\n",
        "rsyslog.d/60-forward.conf": FORWARD,
    }
    return HostState("good", DROP, etc, daemons=[
        ("fail2ban-server", "root"), ("nginx", "www-data"), ("clamd", "root"),
        ("rsyslogd", "root"), ("borg", "root"), ("zabbix_agentd", "root")],
        listen=["0.0.0.0:443"])


def bad_state() -> HostState:
    etc = _etc("ext-carol", "admin:x:1005:1005::/tmp:/bin/bash\n") | {
        "logrotate.conf": "daily\nrotate 7\n",
        "logrotate.d/nginx": "/var/log/nginx/*.log {\n  daily\n  rotate 14\n}\n",
    }
    return HostState("bad", ACCEPT, etc, daemons=[("nginx", "root"),
                                                  ("zabbix_agentd", "root")],
                     listen=["0.0.0.0:443", "0.0.0.0:6379"],
                     sshd_settings={"PermitRootLogin": "yes", "PasswordAuthentication": "yes",
                                    "AuthenticationMethods": ""})


def mixed_state() -> HostState:
    """Defence in depth to show: a database port listening on every interface but filtered."""
    return HostState("mixed", DROP, _etc("alice"), listen=["0.0.0.0:5432", "127.0.0.1:6379"])


def files(directory: Path, ages: list[float]) -> None:
    """Files in `directory` whose modification times are `ages` seconds ago."""
    directory.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for i, age in enumerate(ages):
        f = directory / f"backup-{i}.tar"
        f.write_text("x")
        os.utime(f, (now - age, now - age))


def prepare_backups(root: Path, good: bool) -> dict[str, Path]:
    dirs = {k: root / k for k in ("full", "db", "offsite")}
    if good:
        files(dirs["full"], [30 * 60, 3 * DAY, 20 * DAY])
        files(dirs["db"], [10 * 60, 61 * DAY])
        files(dirs["offsite"], [HOUR, 31 * DAY])
    else:
        files(dirs["full"], [5 * HOUR, 3 * DAY])
        files(dirs["db"], [3 * HOUR, 10 * DAY])
        files(dirs["offsite"], [HOUR, 12 * DAY])
    fwd = root / "forwarded" / "last"
    files(fwd.parent, [])
    fwd.write_text("x")
    age = 10 if good else HOUR
    os.utime(fwd, (time.time() - age, time.time() - age))
    return dirs | {"forwarded": fwd}


def inside_block(lab: HostLab, data: Path, user: str = "root",
                 sudo: tuple[str, ...] = ()) -> str:
    return (f"    inside:\n      user: {user}\n      key_file: {lab.client_key}\n"
            f"      known_hosts: {lab.known_hosts}\n      sudo: [{', '.join(sudo)}]\n"
            "      backups:\n"
            f"        - {{path: {data / 'full'}, rpo_minutes: 120, retention_days: 14}}\n"
            f"        - {{path: {data / 'db'}, kind: database, rpo_minutes: 60, "
            "retention_days: 60}\n"
            f"        - {{path: {data / 'offsite'}, kind: offsite, retention_days: 30}}\n"
            "      log_paths: [/var/log/nginx/access.log]\n"
            f"      log_forwarding: {{last_file: {data / 'forwarded' / 'last'}}}\n"
            "      offsite_copy: backup.example.test:/srv/copies\n"
            "      contractor_accounts: [ext-carol]\n")


def inventory(lab: HostLab, data: dict[str, Path], only: tuple[str, ...] = ("good", "bad"),
              allowed: str = "22/tcp, 443/tcp", services: str = "{port: 22, protocol: ssh}",
              **access: object) -> str:
    scope = ", ".join(sorted({f"{h.address}/32" for h in lab.hosts.values()}))
    text = ("rempart: 1\ncontract: {customer: Lab}\n"
            f"scope: [{scope}]\n"
            f"roles:\n  web: {{allowed_ports: [{allowed}]}}\nhosts:\n")
    for name, host in lab.hosts.items():
        if name not in only:
            continue
        text += (f"  - name: {name}\n    address: {host.address}\n    role: web\n"
                 f"    services: [{services}]\n"
                 + inside_block(lab, data[name], **access))  # type: ignore[arg-type]
    return text
