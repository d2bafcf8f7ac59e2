"""Throwaway hosts for the host checks (demo and tests): a real sshd in its own network, mount
and PID namespaces (root only).

Each host gets a network namespace (its own nftables ruleset and sockets) joined to the root
namespace by a veth pair with a /30 from a documentation block no route of this machine uses
(taken under the network lab's locks), a private mount namespace where /etc is an overlay
holding the host's prepared files (sshd_config, passwd, sudoers, logrotate, rsyslog ...) and
/usr/bin/ss a switchable wrapper, and a PID namespace where fake daemons (a copy of `sleep`
named fail2ban-server, nginx ...) run as chosen users. The sessions sshd opens live in those
namespaces: every command of the host checks meets the prepared state for real.
Names start with `rmq-<pid>-` (namespaces) and `rmq<pid>h` (links) for leftover clean-up.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import IO

from scanner.demo.sshd import SBIN, Sshd, keygen

# the documentation ranges only (RFC 5737), in /26 blocks; lock files shared with the tests'
# network lab (tests/netlab/lab.py) so that concurrent labs never take the same block
BLOCKS = [IPv4Network(f"{p}.{64 * k}/26") for p in ("203.0.113", "198.51.100") for k in range(4)]


def _used_networks() -> list[IPv4Network]:
    """Every IPv4 destination of this machine's routing tables but the default route."""
    done = subprocess.run(["ip", "-j", "-4", "route", "show", "table", "all"],
                          capture_output=True, text=True, check=True)
    return [IPv4Network(r["dst"], strict=False) for r in json.loads(done.stdout or "[]")
            if r["dst"] != "default"]

REAL_SS = shutil.which("ss", path=SBIN) or "/usr/bin/ss"
SS_WRAPPER = """#!/bin/sh
case "$(cat {mode} 2>/dev/null)" in
  hang) exec sleep 1000 ;;
  flood) head -c 10485760 /dev/zero | tr '\\0' x; exit 0 ;;
  missing) echo "sh: 1: ss: not found" >&2; exit 127 ;;
esac
exec {real} "$@"
"""
LISTENER = """import socket, sys, time
socks = [socket.create_server((a, int(p))) for a, _, p in (s.rpartition(":") for s in sys.argv[1:])]
time.sleep(10**6)
"""


@dataclass
class HostState:
    """What a host looks like from inside."""

    name: str
    nft: str  # the namespace's ruleset ("" for none)
    etc: dict[str, str]  # path under /etc -> content (replaces or adds the file)
    daemons: list[tuple[str, str]] = field(default_factory=list)  # (process name, user)
    listen: list[str] = field(default_factory=list)  # "0.0.0.0:443" (TCP, inside the host)
    sshd_settings: dict[str, str] = field(default_factory=dict)
    ssh_port: int = 22
    host_keys: tuple[tuple[str, int | None], ...] = (("ed25519", None),)  # (type, bits)


@dataclass
class LabHost:
    state: HostState
    address: str
    ns: str
    dir: Path
    sshd: Sshd

    def ss_mode(self, mode: str) -> None:
        (self.dir / "ss-mode").write_text(mode)


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "the host lab needs root (namespaces, overlay mounts, nftables)"
    for tool in ("ip", "nft", "sshd", "unshare", "setpriv", "sudo"):
        if shutil.which(tool, path=SBIN) is None:
            return f"{tool} is not installed (scripts/install-system-deps.sh installs it)"
    return None


def remove_leftovers(also: int | None = None) -> None:
    def gone(pid: int) -> bool:
        return pid != also and Path(f"/proc/{pid}").exists()

    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        m = re.match(r"^(rmq-(\d+)-\S+)", line)
        if m and not gone(int(m.group(2))):
            pids = subprocess.run(["ip", "netns", "pids", m.group(1)], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", m.group(1)], capture_output=True)
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True,
                                      text=True).stdout or "[]")
    for link in links:
        m = re.match(r"^rmq(\d+)h\d+$", link["ifname"])
        if m and not gone(int(m.group(1))):
            subprocess.run(["ip", "link", "del", link["ifname"]], capture_output=True)


class HostLab:
    """Namespaced hosts sharing one client key and one known_hosts file."""

    def __init__(self, workdir: Path) -> None:
        self.dir, self.pid = workdir, os.getpid()
        self.hosts: dict[str, LabHost] = {}
        self.client_key = keygen(workdir / "client", "ed25519")
        self.authorized = workdir / "authorized_keys"
        self.authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        self.known_hosts = workdir / "known_hosts"
        self.known_hosts.write_text("")
        self.nets: list[IPv4Network] = []
        self._lock: IO[str] | None = None

    def _take_block(self) -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            used = _used_networks()
            for block in BLOCKS:
                if any(block.overlaps(n) for n in used):
                    continue  # this machine (or another lab) uses these addresses
                lock = f"/tmp/rmp-netlab-{block.network_address}.lock"  # noqa: S108 (shared)
                f = open(lock, "a")  # noqa: SIM115
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    f.close()
                    continue
                self._lock = f
                self.nets = list(block.subnets(new_prefix=30))
                return
            time.sleep(0.5)
        raise RuntimeError("no free documentation /26 for the host lab")

    def add(self, state: HostState) -> LabHost:
        if not self.nets:
            remove_leftovers()
            self._take_block()
        i = len(self.hosts)
        net = self.nets[i]
        ns, link = f"rmq-{self.pid}-{state.name}", f"rmq{self.pid}h{i}"
        root_ip, host_ip = str(net[1]), str(net[2])
        subprocess.run(["ip", "netns", "add", ns], check=True)
        run = ["ip", "netns", "exec", ns]
        subprocess.run([*run, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "link", "add", link, "type", "veth", "peer", "name", "eth0",
                        "netns", ns], check=True)
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/net/ipv6/conf/{link}/disable_ipv6").write_text("1")
        subprocess.run(["ip", "addr", "add", f"{root_ip}/30", "dev", link], check=True)
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
        subprocess.run(["ip", "-n", ns, "addr", "add", f"{host_ip}/30", "dev", "eth0"],
                       check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "eth0", "up"], check=True)
        if state.nft:
            subprocess.run([*run, "nft", "-f", "-"], input=state.nft, text=True, check=True)
        dev = json.loads(subprocess.run(["ip", "-j", "route", "get", host_ip],
                                        capture_output=True, text=True).stdout)[0]["dev"]
        if dev != link:
            raise RuntimeError(f"{host_ip} would leave through {dev}, not the lab")
        hdir = self.dir / state.name
        (hdir / "etc").mkdir(parents=True)
        (hdir / "bin").mkdir()
        for rel, text in state.etc.items():
            target = hdir / "etc" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            if rel.startswith("sudoers"):
                target.chmod(0o440)
        hostkeys = [keygen(hdir / f"ssh_host_{kind}{bits or ''}_key", kind, bits)
                    for kind, bits in state.host_keys]
        (hdir / "etc" / "ssh").mkdir(exist_ok=True)  # readable by every account, unlike tmp
        (hdir / "etc" / "ssh" / "authorized_keys").write_text(self.authorized.read_text())
        sshd = Sshd(hdir, state.name, host_ip, state.ssh_port, hostkeys,
                    Path("/etc/ssh/authorized_keys"), state.sshd_settings)
        (hdir / "etc" / "ssh" / "sshd_config").write_text(sshd.config().read_text())
        (hdir / "ss").write_text(SS_WRAPPER.format(mode=hdir / "ss-mode", real=hdir / "ss.real"))
        (hdir / "ss").chmod(0o755)
        shutil.copy(REAL_SS, hdir / "ss.real")
        sleep = shutil.which("sleep") or "/bin/sleep"
        lines = ["set -e", f"O={hdir}/ov", 'mkdir -p "$O"', 'mount -t tmpfs tmpfs "$O"',
                 'mkdir "$O/up" "$O/work"', f'cp -a {hdir}/etc/. "$O/up/"',
                 'mount -t overlay overlay -o lowerdir=/etc,upperdir="$O/up",'
                 'workdir="$O/work" /etc', f"mount --bind {hdir}/ss {REAL_SS}"]
        for name, user in state.daemons:
            shutil.copy(sleep, hdir / "bin" / name)
            lines.append(f"setpriv --reuid={user} --regid={user} --clear-groups "
                         f"{hdir}/bin/{name} 1000000 &")
        if state.listen:
            lines.append(f"{sys.executable} -c '{LISTENER}' {' '.join(state.listen)} &")
        lines.append('exec "$@"')
        sshd.wrapper = [*run, "unshare", "--mount", "--propagation", "private", "--pid",
                        "--fork", "--mount-proc", "sh", "-c", "\n".join(lines), "sh"]
        sshd.config = lambda: Path("/etc/ssh/sshd_config")  # type: ignore[method-assign]
        sshd.start()
        with self.known_hosts.open("a") as kh:
            kh.write(sshd.known_hosts_line())
        host = LabHost(state, host_ip, ns, hdir, sshd)
        self.hosts[state.name] = host
        return host

    def close(self) -> None:
        for host in self.hosts.values():
            host.sshd.stop()
        remove_leftovers(also=self.pid)
        if self._lock:
            self._lock.close()
