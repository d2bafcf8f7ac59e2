"""A throwaway multi-zone network in Linux network namespaces (root only).

One namespace per zone plus a router whose nftables forward chain (policy drop) is the flow
matrix; the root namespace joins one zone (the scanner's `local` vantage). Zones with a vantage
run an sshd on a management veth to the root namespace. All addresses come from one /26 of the
documentation ranges that no existing route or address of this machine overlaps (some hosts
use 192.0.2.0/24 for real), locked so concurrent labs never share it. No default route, no NAT,
no forwarding outside the router. Names start with `rmp-<pid>-` (namespaces) or `rmp<pid>`
(root links), so leftovers of a crashed run are found and removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import IO

BLOCKS = [IPv4Network(f"{p}.{64 * k}/26") for p in ("203.0.113", "198.51.100", "192.0.2")
          for k in range(4)]
SBIN = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
LISTENER = """import selectors, socket, sys
sel = selectors.DefaultSelector()
for a, _, p in (spec.rpartition(":") for spec in sys.argv[1:]):
    sel.register(socket.create_server((a, int(p)), backlog=128), selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        key.fileobj.accept()[0].close()
"""


@dataclass(frozen=True)
class ZoneSpec:
    name: str
    hosts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # host -> listening ports
    root: bool = False  # the root namespace is this zone's client (no namespace of its own)
    vantage: bool = False  # an sshd reachable from the root namespace
    forwarding: bool = True  # the sshd opens direct-tcpip channels (AllowTcpForwarding local)


@dataclass(frozen=True)
class Allow:
    source: str  # zone
    host: str
    port: int


@dataclass
class Zone:
    spec: ZoneSpec
    net: IPv4Network
    hosts: dict[str, str] = field(default_factory=dict)  # host -> address
    mgmt: str | None = None  # the sshd's address, on the management link


def missing_requirements() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the network lab needs root (network namespaces, veth, nftables)"
    for tool in ("ip", "nft", "sshd", "ssh-keygen"):
        if shutil.which(tool, path=SBIN) is None:
            return f"{tool} is not installed (scripts/install-system-deps.sh installs it)"
    check = f"rmp-{os.getpid()}-check"
    if subprocess.run(["ip", "netns", "add", check], capture_output=True).returncode != 0:
        return "cannot create network namespaces here (ip netns add failed)"
    subprocess.run(["ip", "netns", "del", check], capture_output=True)
    return None


def sh(*cmd: str, ns: str | None = None, stdin: str | None = None) -> str:
    full = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
    done = subprocess.run(full, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} failed: {done.stderr.strip()}")
    return done.stdout


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def remove_leftovers(also: int | None = None) -> None:
    """Delete namespaces (and their processes) and root links of labs whose process is gone,
    and those of pid `also`."""
    for line in sh("ip", "netns", "list").splitlines():
        m = re.match(r"^(rmp-(\d+)-\S+)", line)
        if m and (int(m.group(2)) == also or _gone(int(m.group(2)))):
            for pid in sh("ip", "netns", "pids", m.group(1)).split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", m.group(1)], capture_output=True)
    for link in json.loads(sh("ip", "-j", "link", "show") or "[]"):
        m = re.match(r"^rmp(\d+)[a-z]\d*$", link["ifname"])
        if m and (int(m.group(1)) == also or _gone(int(m.group(1)))):
            subprocess.run(["ip", "link", "del", link["ifname"]], capture_output=True)


def _used_networks() -> list[IPv4Network]:
    """Every IPv4 destination of this machine's routing tables but the default route."""
    routes = json.loads(sh("ip", "-j", "-4", "route", "show", "table", "all") or "[]")
    return [IPv4Network(r["dst"], strict=False) for r in routes if r["dst"] != "default"]


class Lab:
    def __init__(self, zones: list[ZoneSpec], allow: list[Allow], reject_from: list[str],
                 workdir: Path) -> None:
        self.pid, self.dir = os.getpid(), workdir
        self.specs, self.allow, self.reject_from = zones, allow, reject_from
        self.zones: dict[str, Zone] = {}
        self.procs: list[subprocess.Popen[str]] = []
        self.user = "root"
        self.key = workdir / "client_key"
        self.known_hosts = workdir / "known_hosts"
        self.block = BLOCKS[0]
        self._lock: IO[str] | None = None

    def ns(self, zone: str) -> str:
        return f"rmp-{self.pid}-{zone}"

    def host(self, name: str) -> str:
        return next(z.hosts[name] for z in self.zones.values() if name in z.hosts)

    def start(self) -> None:
        remove_leftovers()
        self.block = self._take_block()
        nets = list(self.block.subnets(new_prefix=29))  # zones from the start
        links = list(self.block.subnets(new_prefix=30))[::-1]  # management links from the end
        if 2 * len(self.specs) + sum(s.vantage for s in self.specs) > 16:
            raise ValueError("too many zones and vantages for one /26")
        router = self.ns("router")
        sh("ip", "netns", "add", router)
        self._ns_defaults(router, forward=True)
        for i, spec in enumerate(self.specs):
            zone = Zone(spec, nets[i], {h: str(nets[i][2 + j]) for j, h in enumerate(spec.hosts)})
            self.zones[spec.name] = zone
            sh("ip", "link", "add", f"rmp{self.pid}z{i}", "type", "veth", "peer", "name",
               f"z{i}", "netns", router)  # the root end moves to the zone's namespace below
            sh("ip", "-n", router, "addr", "add", f"{nets[i][1]}/29", "dev", f"z{i}")
            sh("ip", "-n", router, "link", "set", f"z{i}", "up")
        for i, zone in enumerate(self.zones.values()):
            self._wire(i, zone, links[sum(s.vantage for s in self.specs[:i])])
        sh("nft", "-f", "-", ns=router, stdin=self._ruleset())
        self._check_routes()
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key))
        lines = []
        for zone in self.zones.values():
            for name, ports in zone.spec.hosts.items():
                self._listen(zone, name, ports)
            if zone.mgmt:
                lines.append(f"{zone.mgmt} {self._sshd(zone)}")
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def _take_block(self) -> IPv4Network:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            used = _used_networks()
            for block in BLOCKS:
                if any(block.overlaps(n) for n in used):
                    continue  # this machine (or another lab) uses these addresses
                f = open(f"/tmp/rmp-netlab-{block.network_address}.lock", "a")  # noqa: SIM115
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    f.close()
                    continue
                self._lock = f
                return block
            time.sleep(0.5)
        raise RuntimeError("no free documentation /26 for the network lab")

    def _ns_defaults(self, ns: str, forward: bool = False) -> None:
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("sysctl", "-qw", f"net.ipv4.ip_forward={int(forward)}", ns=ns)
        for knob in ("all", "default"):  # no IPv6 chatter on the lab links
            with contextlib.suppress(RuntimeError):
                sh("sysctl", "-qw", f"net.ipv6.conf.{knob}.disable_ipv6=1", ns=ns)

    def _wire(self, i: int, zone: Zone, mgmt: IPv4Network) -> None:
        dev, gateway = f"rmp{self.pid}z{i}", str(zone.net[1])
        if zone.spec.root:  # root joins this zone; routes to the other zones' /29s only
            self._root_link(dev, f"{zone.net[2]}/29")
            for other in self.zones.values():
                if other is not zone:
                    sh("ip", "route", "add", str(other.net), "via", gateway, "dev", dev)
            return
        ns = self.ns(zone.spec.name)
        sh("ip", "netns", "add", ns)
        self._ns_defaults(ns)
        sh("ip", "link", "set", dev, "netns", ns, "name", "zone0")
        addrs = list(zone.hosts.values()) or [str(zone.net[2])]
        for a in addrs:
            sh("ip", "-n", ns, "addr", "add", f"{a}/29", "dev", "zone0")
        sh("ip", "-n", ns, "link", "set", "zone0", "up")
        sh("ip", "-n", ns, "route", "add", str(self.block), "via", gateway, "src", addrs[0])
        if zone.spec.vantage:
            link = f"rmp{self.pid}m{i}"
            sh("ip", "link", "add", link, "type", "veth", "peer", "name", "mgmt0", "netns", ns)
            self._root_link(link, f"{mgmt[1]}/30")
            sh("ip", "-n", ns, "addr", "add", f"{mgmt[2]}/30", "dev", "mgmt0")
            sh("ip", "-n", ns, "link", "set", "mgmt0", "up")
            zone.mgmt = str(mgmt[2])

    def _root_link(self, dev: str, cidr: str) -> None:
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/net/ipv6/conf/{dev}/disable_ipv6").write_text("1")
        sh("ip", "addr", "add", cidr, "dev", dev)
        sh("ip", "link", "set", dev, "up")

    def _ruleset(self) -> str:
        rules = ["ct state established,related accept"]
        rules += [f"ip saddr {self.zones[a.source].net} ip daddr {self.host(a.host)} "
                  f"tcp dport {a.port} accept" for a in self.allow]
        rules += [f"ip saddr {self.zones[z].net} meta l4proto tcp reject with tcp reset"
                  for z in self.reject_from]
        body = "\n    ".join(rules)
        return ("table inet rmp {\n  chain forward {\n    type filter hook forward priority "
                f"filter; policy drop;\n    {body}\n  }}\n}}\n")

    def _check_routes(self) -> None:
        """Every lab address the root namespace can reach goes through a lab link."""
        for zone in self.zones.values():
            for address in [*zone.hosts.values(), *([zone.mgmt] if zone.mgmt else [])]:
                dev = json.loads(sh("ip", "-j", "route", "get", address))[0].get("dev", "")
                if not dev.startswith(f"rmp{self.pid}"):
                    raise RuntimeError(f"{address} would leave through {dev}, not the lab")

    def _spawn(self, ns: str, cmd: list[str], log: str, env: dict[str, str] | None = None,
               stdin: bool = False) -> subprocess.Popen[str]:
        with open(self.dir / log, "w") as err:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=subprocess.PIPE,
                                    stderr=err, text=True, start_new_session=True, env=env,
                                    stdin=subprocess.PIPE if stdin else None)
        self.procs.append(proc)
        return proc

    def spawn(self, zone: str, cmd: list[str], log: str, env: dict[str, str] | None = None
              ) -> subprocess.Popen[str]:
        """A process in the zone's namespace (stdin kept open), stopped by close()."""
        return self._spawn(self.ns(zone), cmd, log, env, stdin=True)

    def listen(self, host: str, ports: tuple[int, ...]) -> None:
        """More listeners (accept, then close) on a host's address."""
        zone = next(z for z in self.zones.values() if host in z.hosts)
        self._listen(zone, host, ports)

    def firewall(self, allow: list[Allow]) -> None:
        """Replace the router's flow matrix."""
        self.allow = allow
        sh("nft", "-f", "-", ns=self.ns("router"),
           stdin="delete table inet rmp\n" + self._ruleset())

    def _listen(self, zone: Zone, host: str, ports: tuple[int, ...]) -> None:
        specs = [f"{zone.hosts[host]}:{p}" for p in ports]
        proc = self._spawn(self.ns(zone.spec.name), [sys.executable, "-c", LISTENER, *specs],
                           f"listen-{host}-{len(self.procs)}.log")
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"listener of {host} did not start (see {self.dir})")

    def _sshd(self, zone: Zone) -> str:
        """Start the zone's sshd; returns its host key ("type base64") for known_hosts."""
        name, sshd = zone.spec.name, shutil.which("sshd", path=SBIN)
        hostkey, auth = self.dir / f"sshd-{name}-key", self.dir / "authorized_keys"
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(hostkey))
        auth.write_text(Path(f"{self.key}.pub").read_text())
        config = self.dir / f"sshd-{name}.conf"
        config.write_text(
            f"ListenAddress {zone.mgmt}:22\nHostKey {hostkey}\nAuthorizedKeysFile {auth}\n"
            f"AllowUsers {self.user}\nPermitRootLogin prohibit-password\nPidFile none\n"
            "AuthenticationMethods publickey\nPasswordAuthentication no\nUsePAM no\n"
            "KbdInteractiveAuthentication no\nStrictModes no\n"
            f"AllowTcpForwarding {'local' if zone.spec.forwarding else 'no'}\n"
            "AllowAgentForwarding no\nX11Forwarding no\nPermitTunnel no\nPermitTTY no\n"
            "PrintMotd no\nLogLevel ERROR\n")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        assert sshd is not None and zone.mgmt is not None
        home = self.dir / f"home-{name}"  # an empty home: this machine's dotfiles stay out
        home.mkdir()
        (home / ".bashrc").write_text(f'echo "$$" >> {self.dir}/bashrc-{name}.log\n')  # counted
        mask = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'  # in `ip netns exec`'s own
        self._spawn(self.ns(name), ["sh", "-c", mask, "sh", str(home),  # mount namespace
                                    pwd.getpwnam(self.user).pw_dir, sshd, "-D", "-e", "-f",
                                    str(config)], f"sshd-{name}.log")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(OSError), socket.create_connection((zone.mgmt, 22), 1):
                kind, blob = Path(f"{hostkey}.pub").read_text().split()[:2]
                return f"{kind} {blob}"
            time.sleep(0.05)
        raise RuntimeError(f"sshd of {name} did not start (see {self.dir})")

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()
        remove_leftovers(also=self.pid)
        if self._lock:
            self._lock.close()  # releases the block
