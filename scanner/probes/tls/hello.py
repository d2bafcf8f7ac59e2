"""Craft a ClientHello (SSL 3.0 to TLS 1.3) and read the server's first flight only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tlslite.constants import TLS_1_3_HRR, ExtensionType
from tlslite.extensions import (
    ClientKeyShareExtension,
    ECPointFormatsExtension,
    KeyShareEntry,
    PskKeyExchangeModesExtension,
    SignatureAlgorithmsExtension,
    SNIExtension,
    SupportedGroupsExtension,
    SupportedVersionsExtension,
)
from tlslite.messages import ClientHello, RecordHeader3, ServerHello
from tlslite.utils.codec import Parser

from scanner.models import Phrase, ReasonCategory, say
from scanner.probes.tls.suites import (
    GROUP_CODES,
    SIGALGS,
    TLS13_SUITES,
    VERSION_NAMES,
    VERSIONS,
    group_name,
    is_ecdh,
    is_ffdh,
    suite_name,
)
from scanner.probes.tls.wire import (
    Closed,
    Garbage,
    Timeout,
    Wire,
    WireError,
    alert_name,
    read_record,
)

MAX_MESSAGE = 128 * 1024
FALLBACK_SCSV = 0x5600

Status = Literal["accepted", "refused", "error"]


@dataclass(frozen=True)
class HelloSpec:
    """What one ClientHello offers."""

    version: str  # "SSLv2", "SSLv3", "TLSv1.0" … "TLSv1.3"
    suites: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()
    key_shares: tuple[str, ...] = ()  # TLS 1.3: groups given a real share (x25519, secp256r1)
    full_flight: bool = True  # TLS <= 1.2: read up to ServerHelloDone (chain, key exchange)
    compression: bool = False  # TLS <= 1.2: offer DEFLATE before null compression
    fallback: bool = False  # add TLS_FALLBACK_SCSV (RFC 7507): this hello is a downgrade


@dataclass(frozen=True)
class HelloOutcome:
    """What the server answered to one ClientHello."""

    status: Status
    version: str | None = None  # negotiated protocol
    suite: str | None = None  # IANA name of the chosen suite
    group: str | None = None  # key-exchange group (ServerKeyExchange, key_share or HRR)
    chain: tuple[bytes, ...] | None = None  # DER certificates sent in clear, leaf first
    retry: bool = False  # TLS 1.3 HelloRetryRequest
    ssl2_ciphers: tuple[str, ...] = ()  # SSL 2.0: cipher specs the server listed
    dh_bits: int | None = None  # size of the finite-field DHE prime (ServerKeyExchange)
    compression: int = 0  # compression method the server chose (0: none, 1: DEFLATE)
    renegotiation_info: bool = False  # the ServerHello carries RFC 5746's extension
    reason: str = ""  # refused: "alert <name>", "closed" or "reset"; error: why
    category: ReasonCategory | None = None  # error: what kind of failure

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def by_close(self) -> bool:
        """Refused without a word: the connection was closed or reset."""
        return self.status == "refused" and self.reason in ("closed", "reset")

    def phrase(self) -> Phrase:
        """`describe()` in the reports' words (message keys `summary.hello.*`)."""
        if self.status == "accepted":
            key = ("summary.hello.accepted" + ("_group" if self.group else "")
                   + ("_hrr" if self.retry else ""))
            return say(key, version=self.version or "?",
                       suite=self.suite or ", ".join(self.ssl2_ciphers) or "—",
                       group=self.group or "")
        if self.by_close:  # no word from the server: say how the connection ended
            return say(f"summary.hello.refused_{self.reason}")
        return say(f"summary.hello.{self.status}", reason=self.reason)

    def describe(self) -> str:
        if self.status == "accepted":
            what = self.suite or ", ".join(self.ssl2_ciphers) or "no cipher"
            extra = f", group {self.group}" if self.group else ""
            extra += " (HelloRetryRequest)" if self.retry else ""
            return f"accepted {self.version} with {what}{extra}"
        if self.status == "refused":
            return f"refused ({self.reason})"
        return f"error ({self.reason})"


def refused(reason: str) -> HelloOutcome:
    return HelloOutcome("refused", reason=reason)


def failed(reason: str, category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR) -> HelloOutcome:
    return HelloOutcome("error", reason=reason, category=category)


def _key_share(group: str) -> KeyShareEntry | None:
    if group == "x25519":
        raw = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    elif group == "secp256r1":
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        raw = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    else:
        return None
    entry: KeyShareEntry = KeyShareEntry().create(GROUP_CODES[group], bytearray(raw))
    return entry


def _dns_bytes(name: str) -> bytes:
    try:
        return name.rstrip(".").encode("idna")
    except UnicodeError:  # not IDNA-encodable: send it as is
        return name.rstrip(".").encode("utf-8", "replace")


def client_hello(spec: HelloSpec, sni: str | None) -> bytes:
    """The ClientHello record for a TLS/SSL 3.0 spec (SNI only for DNS names)."""
    tls13 = spec.version == "TLSv1.3"
    version = (3, 3) if tls13 else VERSIONS[spec.version]
    exts: list[Any] = []
    if sni:
        exts.append(SNIExtension().create(bytearray(_dns_bytes(sni))))
    if spec.groups:
        exts.append(SupportedGroupsExtension().create([GROUP_CODES[g] for g in spec.groups]))
        exts.append(ECPointFormatsExtension().create([0]))
    if version >= (3, 3):
        exts.append(SignatureAlgorithmsExtension().create([(a >> 8, a & 0xFF) for a in SIGALGS]))
    if tls13:
        exts.append(SupportedVersionsExtension().create([(3, 4)]))
        shares = [s for s in (_key_share(g) for g in spec.key_shares) if s is not None]
        exts.append(ClientKeyShareExtension().create(shares))
        exts.append(PskKeyExchangeModesExtension().create([1]))  # psk_dhe_ke
    session_id = os.urandom(32) if tls13 else b""  # middlebox compatibility mode
    suites = [*spec.suites, FALLBACK_SCSV] if spec.fallback else list(spec.suites)
    hello = ClientHello().create(
        version, bytearray(os.urandom(32)), bytearray(session_id), suites, extensions=exts,
    )
    if spec.compression and not tls13:
        hello.compression_methods = [1, 0]  # DEFLATE, null
    body = bytes(hello.write())
    record = RecordHeader3().create((3, 0) if spec.version == "SSLv3" else (3, 1), 22, len(body))
    return bytes(record.write()) + body


def _parse_chain(body: bytes) -> tuple[bytes, ...]:
    """A TLS <= 1.2 Certificate message body: a list of DER certificates."""
    total = int.from_bytes(body[:3])
    if len(body) < 3 or total != len(body) - 3:
        raise Garbage("malformed Certificate message")
    certs: list[bytes] = []
    pos = 3
    while pos < len(body):
        size = int.from_bytes(body[pos : pos + 3])
        if size == 0 or pos + 3 + size > len(body):
            raise Garbage("malformed Certificate message")
        certs.append(body[pos + 3 : pos + 3 + size])
        pos += 3 + size
    return tuple(certs)


class _Flight:
    """Fields gathered from the first flight so far."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.suite: str | None = None
        self.group: str | None = None
        self.chain: tuple[bytes, ...] | None = None
        self.retry = False
        self.dh_bits: int | None = None
        self.compression = 0
        self.renegotiation_info = False

    def outcome(self) -> HelloOutcome:
        return HelloOutcome(
            "accepted", self.version, self.suite, self.group, self.chain, self.retry,
            dh_bits=self.dh_bits, compression=self.compression,
            renegotiation_info=self.renegotiation_info,
        )


def _server_hello(msg: bytes, spec: HelloSpec, flight: _Flight) -> bool:
    """Parse the ServerHello; True when nothing more needs reading."""
    try:
        hello = ServerHello().parse(Parser(bytearray(msg[1:])))
    except Exception as exc:  # tlslite raises assorted errors on bad input
        raise Garbage(f"malformed ServerHello ({type(exc).__name__})") from exc
    chosen = hello.getExtension(ExtensionType.supported_versions)
    version = tuple(chosen.version) if chosen is not None else tuple(hello.server_version)
    if version not in VERSION_NAMES:
        raise Garbage(f"ServerHello with unknown version {version}")
    if hello.cipher_suite not in spec.suites:
        raise Garbage(f"server chose suite {suite_name(hello.cipher_suite)}, which was not offered")
    if (version == (3, 4)) != (hello.cipher_suite in TLS13_SUITES):
        raise Garbage(f"ServerHello pairs {suite_name(hello.cipher_suite)} with "
                      f"{VERSION_NAMES[version]}")
    flight.version = VERSION_NAMES[version]
    flight.suite = suite_name(hello.cipher_suite)
    flight.retry = bytes(hello.random) == bytes(TLS_1_3_HRR)
    flight.compression = int(hello.compression_method)
    if flight.compression not in (0, 1) or (flight.compression and not spec.compression):
        raise Garbage(f"server chose compression method {flight.compression}, which was not "
                      "offered")
    flight.renegotiation_info = hello.getExtension(ExtensionType.renegotiation_info) is not None
    if version == (3, 4):
        share = hello.getExtension(ExtensionType.key_share)
        code = getattr(share, "selected_group", None) or getattr(
            getattr(share, "server_share", None), "group", None
        )
        flight.group = group_name(code) if code is not None else None
        return True
    return not spec.full_flight


def _handle(msg: bytes, spec: HelloSpec, flight: _Flight) -> bool:
    """Process one handshake message; True when the flight is complete."""
    mtype, body = msg[0], msg[4:]
    if flight.version is None:
        if mtype != 2:
            raise Garbage(f"handshake message {mtype} before the ServerHello")
        return _server_hello(msg, spec, flight)
    if mtype == 11:
        flight.chain = _parse_chain(body)
    elif mtype == 12 and flight.suite and is_ecdh(flight.suite) and body[:1] == b"\x03":
        flight.group = group_name(int.from_bytes(body[1:3]))
    elif mtype == 12 and flight.suite and is_ffdh(flight.suite):
        size = int.from_bytes(body[:2])  # ServerDHParams: dh_p<1..2^16-1>, dh_g, dh_Ys
        if len(body) < 2 + size or size == 0:
            raise Garbage("malformed DHE ServerKeyExchange")
        flight.dh_bits = int.from_bytes(body[2 : 2 + size]).bit_length()
    return mtype == 14  # ServerHelloDone


def read_flight(wire: Wire, spec: HelloSpec) -> HelloOutcome:
    """Read up to the end of the first flight (or the alert / close that refuses)."""
    flight = _Flight()
    pending = bytearray()
    wire.phase("the ServerHello")
    while True:
        try:
            ctype, payload = read_record(wire)
        except Closed as exc:
            if flight.version is not None:
                return flight.outcome()  # partial flight: the version was accepted
            if exc.received:
                return failed("connection closed in the middle of a TLS record",
                              ReasonCategory.RESET)
            return refused("reset" if exc.reset else "closed")
        except Timeout as exc:
            return flight.outcome() if flight.version else failed(str(exc), exc.category)
        except WireError as exc:
            return failed(str(exc), exc.category)
        if ctype == 21:
            try:
                name = alert_name(payload)
            except Garbage as exc:
                return failed(str(exc))
            if flight.version is not None:
                return flight.outcome()
            if payload[0] == 1 and payload[1] != 0:
                continue  # warning (e.g. unrecognized_name) before the ServerHello
            return refused(f"alert {name}")
        if ctype != 22:
            if flight.version is not None:
                return flight.outcome()
            return failed(f"unexpected TLS record type {ctype} before the ServerHello")
        pending += payload
        try:
            while len(pending) >= 4:
                size = int.from_bytes(pending[1:4])
                if size > MAX_MESSAGE:
                    raise Garbage(f"handshake message of {size} bytes")
                if len(pending) < 4 + size:
                    break
                msg = bytes(pending[: 4 + size])
                del pending[: 4 + size]
                if _handle(msg, spec, flight):
                    return flight.outcome()
        except Garbage as exc:
            return failed(str(exc))
