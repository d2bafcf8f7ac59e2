"""Real OpenSSH servers for the tests: hardened and weak configurations, started on demand.

`Sshd` writes a config, starts `sshd -D -e` (optionally under a wrapper such as
`ip netns exec NS ...`), waits until the port answers and stops it by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SBIN = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"

HARDENED = {
    "KexAlgorithms": "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
                     "diffie-hellman-group16-sha512",
    "Ciphers": "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr",
    "MACs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
    "HostKeyAlgorithms": "ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
}
WEAK = {
    "KexAlgorithms": "curve25519-sha256,diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
    "Ciphers": "aes128-ctr,3des-cbc,aes128-cbc",
    "MACs": "hmac-sha2-256,hmac-md5,hmac-sha1-96",
    "HostKeyAlgorithms": "ssh-ed25519,rsa-sha2-512,ssh-rsa,ssh-dss",
}


def missing_sshd() -> str | None:
    if os.geteuid() != 0:
        return "real sshd tests need root (sshd privilege separation, namespaces)"
    for tool in ("sshd", "ssh-keygen"):
        if shutil.which(tool, path=SBIN) is None:
            return f"{tool} is not installed (scripts/install-system-deps.sh installs it)"
    return None


def keygen(path: Path, kind: str, bits: int | None = None) -> Path:
    if not path.exists():
        cmd = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "", "-f", str(path)]
        if bits:
            cmd += ["-b", str(bits)]
        subprocess.run(cmd, check=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    workdir: Path
    name: str
    address: str
    port: int
    host_keys: list[Path]
    authorized_keys: Path
    settings: dict[str, str] = field(default_factory=dict)
    wrapper: list[str] = field(default_factory=list)  # e.g. ["ip", "netns", "exec", NS, ...]
    proc: subprocess.Popen[bytes] | None = None

    def config(self) -> Path:
        path = self.workdir / f"sshd-{self.name}.conf"
        base = {"PidFile": "none", "UsePAM": "no", "StrictModes": "no",
                "PermitRootLogin": "prohibit-password", "PasswordAuthentication": "no",
                "KbdInteractiveAuthentication": "no", "AuthenticationMethods": "publickey",
                "PrintMotd": "no", "LogLevel": "ERROR"}
        lines = [f"ListenAddress {self.address}:{self.port}",
                 *(f"HostKey {k}" for k in self.host_keys),
                 f"AuthorizedKeysFile {self.authorized_keys}",
                 *(f"{k} {v}" for k, v in {**base, **self.settings}.items() if v)]
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> Sshd:
        sshd = shutil.which("sshd", path=SBIN)
        assert sshd is not None
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
        log = open(self.workdir / f"sshd-{self.name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([*self.wrapper, sshd, "-D", "-e", "-f", str(self.config())],
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd {self.name} exited: "
                                   f"{(self.workdir / f'sshd-{self.name}.log').read_text()}")
            with contextlib.suppress(OSError), \
                    socket.create_connection((self.address, self.port), 0.5) as s:
                s.settimeout(2)
                if s.recv(4).startswith(b"SSH-"):
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd {self.name} did not start")

    def known_hosts_line(self) -> str:
        where = self.address if self.port == 22 else f"[{self.address}]:{self.port}"
        return "\n".join(f"{where} {' '.join(Path(f'{k}.pub').read_text().split()[:2])}"
                         for k in self.host_keys) + "\n"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)  # its own session: sshd and its children only
            self.proc.wait()
