"""Start server child processes in parallel and talk to them."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import scanner

from .spec import ServerSpec

READY_TIMEOUT = 20.0
_PROJECT_ROOT = Path(scanner.__file__).resolve().parent.parent


def openssl_config(spec: ServerSpec) -> str:
    """The per-process OpenSSL config: groups and TLS 1.3 suites (no ``ssl`` API for them)."""
    lines = [
        "openssl_conf = openssl_init",
        "[openssl_init]",
        "ssl_conf = ssl_sect",
        "[ssl_sect]",
        "system_default = system_default_sect",
        "[system_default_sect]",
    ]
    if spec.groups:
        lines.append(f"Groups = {spec.groups}")
    if spec.ciphersuites:
        lines.append(f"Ciphersuites = {spec.ciphersuites}")
    return "\n".join(lines) + "\n"


class ServerStartError(RuntimeError):
    """A child died or did not get ready in time."""


class _Child:
    """One child process and a line reader over its stdout."""

    def __init__(self, spec: ServerSpec, workdir: Path) -> None:
        self.spec = spec
        self.stderr_path = workdir / f"{spec.name}.stderr.log"
        spec_path = workdir / f"{spec.name}.spec.json"
        conf_path = workdir / f"{spec.name}.openssl.cnf"
        spec_path.write_text(spec.to_json())
        conf_path.write_text(openssl_config(spec))
        env = dict(os.environ)
        env["OPENSSL_CONF"] = str(conf_path)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "scanner.demo.servers.child", str(spec_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=workdir,
                env=env,
            )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stdout_fd = self.proc.stdout.fileno()
        self.buffer = b""
        self.ports: list[int] = []
        self.lock = threading.Lock()

    def poll_line(self) -> str | None:
        """Read what is available (call when readable); a complete line, if one came."""
        chunk = os.read(self.stdout_fd, 65536)
        if not chunk:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2.0)  # for its exit code
            raise self.failure("exited before answering")
        self.buffer += chunk
        return self.take_line()

    def take_line(self) -> str | None:
        if b"\n" not in self.buffer:
            return None
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()

    def readline(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        line = self.take_line()
        while line is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.failure(f"no answer within {timeout:.0f} s")
            readable, _, _ = select.select([self.stdout_fd], [], [], left)
            if readable:
                line = self.poll_line()
        return line

    def failure(self, what: str) -> ServerStartError:
        code = self.proc.poll()
        try:
            err = self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            err = ""
        status = f"exit code {code}" if code is not None else "still running"
        return ServerStartError(f"server {self.spec.name!r} {what} ({status}); stderr:\n{err}")

    def terminate(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def reap(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class RunningServers:
    """Handle on started servers; a context manager that stops them all."""

    def __init__(self, children: dict[str, _Child]) -> None:
        self._children = children

    def names(self) -> list[str]:
        return list(self._children)

    def spec(self, name: str) -> ServerSpec:
        return self._children[name].spec

    def ports(self, name: str) -> list[int]:
        return list(self._children[name].ports)

    def port(self, name: str) -> int:
        return self._children[name].ports[0]

    def pid(self, name: str) -> int:
        return self._children[name].proc.pid

    def address(self, name: str) -> tuple[str, int]:
        return self._children[name].spec.host, self.port(name)

    def connections(self, name: str) -> int:
        """TCP connections the server has accepted so far (asked over its stdin)."""
        child = self._children[name]
        with child.lock:
            stdin = child.proc.stdin
            assert stdin is not None
            try:
                stdin.write(b"stats\n")
                stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise child.failure("is gone") from exc
            stats = json.loads(child.readline(10.0))
        return int(stats["connections"])

    def stop(self) -> None:
        """Terminate every child and wait for it (idempotent)."""
        children = list(self._children.values())
        for child in children:
            child.terminate()
        for child in children:
            child.reap(5.0)

    def __enter__(self) -> RunningServers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_ready(children: list[_Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = {c.stdout_fd: c for c in children}
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            raise next(iter(pending.values())).failure(f"not ready within {timeout:.0f} s")
        readable, _, _ = select.select(list(pending), [], [], min(left, 0.5))
        for fd in readable:
            child = pending[fd]
            line = child.poll_line()
            if line is None:
                continue
            if not line.startswith("READY "):
                raise child.failure(f"printed {line!r} instead of READY")
            child.ports = [int(p) for p in json.loads(line[len("READY ") :])["ports"]]
            del pending[fd]


def start_servers(
    specs: Sequence[ServerSpec], workdir: Path, *, timeout: float = READY_TIMEOUT
) -> RunningServers:
    """Start one child per spec (all at once), wait until every one listens."""
    names = [s.name for s in specs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate server names: {sorted(duplicates)}")
    workdir = workdir.resolve()  # children run in it: their paths must not be relative
    workdir.mkdir(parents=True, exist_ok=True)
    children: dict[str, _Child] = {}
    running = RunningServers(children)
    try:
        for spec in specs:
            children[spec.name] = _Child(spec, workdir)
        _wait_ready(list(children.values()), timeout)
    except BaseException:
        running.stop()
        raise
    return running
