"""What one local test/demo server looks like (passed to its child process as JSON)."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

Engine = Literal["openssl", "tlslite", "sslv2", "silent", "garbage", "reset", "http", "redis",
                 "ftp"]
Mode = Literal["tls", "smtp", "imap", "pop3", "ldap", "xmpp", "postgresql"]
Version = Literal["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
VERSIONS: tuple[str, ...] = get_args(Version)  # oldest first


@dataclass(frozen=True)
class ServerSpec:
    """One server process; see the package docstring for what each field does."""

    name: str
    engine: Engine = "openssl"
    mode: Mode = "tls"
    chain_pem: str | None = None
    key_pem: str | None = None
    min_version: str = "TLSv1.2"
    max_version: str = "TLSv1.3"
    ciphers: str | None = None
    ciphersuites: str | None = None
    groups: str | None = None
    tlslite_ciphers: tuple[str, ...] = ()
    starttls_advertised: bool = True
    reject_ip_sni: bool = False
    client_preference: bool = False  # openssl: follow the client's suite/group order
    dh_params: str | None = None  # openssl, ftp: PEM DH parameters for DHE (e.g. 1024-bit)
    ftp_tls_required: bool = False  # ftp: refuse USER before AUTH TLS
    client_renegotiation: bool = False  # openssl: accept client-initiated renegotiation
    listeners: int = 1
    host: str = "127.0.0.1"
    port: int = 0  # fixed port for the first listener (0: any; taken: falls back to any)
    http_headers: tuple[str, ...] = ()  # extra "Name: value" lines in HTTP answers
    protected_paths: tuple[str, ...] = ()  # answer 401 under these paths
    redirect_to: str | None = None  # answer 301 to this base URL (+ the request path)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"server name {self.name!r}: use letters, digits, . _ -")
        if self.engine not in get_args(Engine):
            raise ValueError(f"{self.name}: unknown engine {self.engine!r}")
        if self.mode not in get_args(Mode):
            raise ValueError(f"{self.name}: unknown mode {self.mode!r}")
        for v in (self.min_version, self.max_version):
            if v not in VERSIONS:
                raise ValueError(f"{self.name}: unknown version {v!r}")
        if VERSIONS.index(self.min_version) > VERSIONS.index(self.max_version):
            raise ValueError(f"{self.name}: min_version is above max_version")
        if self.engine in ("openssl", "tlslite", "sslv2", "ftp") and not (
                self.chain_pem and self.key_pem):
            raise ValueError(f"{self.name}: engine {self.engine} needs chain_pem and key_pem")
        if self.engine == "sslv2" and self.mode != "tls":
            raise ValueError(f"{self.name}: sslv2 only works in tls mode")
        if self.listeners < 1:
            raise ValueError(f"{self.name}: listeners must be >= 1")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServerSpec:
        raw: dict[str, Any] = json.loads(text)
        for key in ("tlslite_ciphers", "http_headers", "protected_paths"):
            raw[key] = tuple(raw.get(key, ()))
        return cls(**raw)
