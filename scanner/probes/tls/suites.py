"""Registries: protocol versions, cipher suites (IANA names) with weak categories, groups."""

from __future__ import annotations

from functools import cache

from tls_parser.cipher_suites import CipherSuites

from scanner.facts import GROUPS

# ---- protocol versions --------------------------------------------------------------------

VERSIONS: dict[str, tuple[int, int]] = {
    "SSLv3": (3, 0),
    "TLSv1.0": (3, 1),
    "TLSv1.1": (3, 2),
    "TLSv1.2": (3, 3),
    "TLSv1.3": (3, 4),
}
VERSION_NAMES: dict[tuple[int, int], str] = {v: k for k, v in VERSIONS.items()}
LEGACY_VERSIONS = ("TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3")  # record-layer versions, newest first


def version_rank(name: str) -> int:
    """Order of protocol names: SSLv2 < SSLv3 < … < TLSv1.3."""
    return -1 if name == "SSLv2" else VERSIONS[name][1]


# Signature schemes offered (TLS 1.2+), legacy ones included so that old servers answer.
SIGALGS = (
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
    0x0401, 0x0501, 0x0601, 0x0301, 0x0303, 0x0201, 0x0203, 0x0402, 0x0202,
)

# ---- cipher suites ------------------------------------------------------------------------

TLS13_SUITES: dict[int, str] = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
}
SCSV_RENEGOTIATION = 0x00FF
SUITES: dict[int, str] = {s.value: s.name for s in CipherSuites} | TLS13_SUITES
_NOT_OFFERED = {0x0000, SCSV_RENEGOTIATION, *TLS13_SUITES}


def suite_name(code: int) -> str:
    return SUITES.get(code, f"0x{code:04X}")


@cache
def categories(name: str) -> tuple[str, ...]:
    """Weak categories of an IANA suite name, in catalogue order (possibly several)."""
    found: list[str] = []
    if "RC4" in name:
        found.append("rc4")
    if "3DES" in name:
        found.append("3des")
    if "DES" in name.replace("3DES", ""):
        found.append("des")
    if "_WITH_NULL_" in name:
        found.append("enull")  # no encryption
    if "EXPORT" in name:
        found.append("export")
    if "_anon_" in name.lower():
        found.append("anon")
    if name.endswith("_MD5"):
        found.append("md5")
    return tuple(found)


def _no_certificate(name: str) -> bool:
    """Suites whose handshake carries no server certificate."""
    return any(k in name for k in ("_anon_", "_PSK_", "TLS_PSK", "_SRP_", "_KRB5_", "NULL_WITH"))


def _preference(code: int) -> tuple[int, int]:
    """Like a modern client: forward secrecy, then AEAD first."""
    name = SUITES[code]
    kx = 0 if "_ECDHE_" in name else 1 if "_DHE_" in name else 2
    return kx, 0 if any(a in name for a in ("_GCM_", "CHACHA20", "_CCM")) else 1


_LEGACY = [c for c in SUITES if c not in _NOT_OFFERED]
WEAK_SUITES: tuple[int, ...] = tuple(c for c in _LEGACY if categories(SUITES[c]))
# Strong suites first so that a client-preference server picks a usual one.
ALL_LEGACY_SUITES: tuple[int, ...] = (
    *sorted((c for c in _LEGACY if not categories(SUITES[c])), key=_preference),
    *WEAK_SUITES,
    SCSV_RENEGOTIATION,
)
CERT_SUITES: tuple[int, ...] = (
    *(c for c in ALL_LEGACY_SUITES if c != SCSV_RENEGOTIATION and not _no_certificate(SUITES[c])),
    SCSV_RENEGOTIATION,
)
ECDHE_SUITES: tuple[int, ...] = tuple(
    c for c in _LEGACY if SUITES[c].startswith(("TLS_ECDHE_RSA_", "TLS_ECDHE_ECDSA_"))
)


def is_ffdh(name: str) -> bool:
    """The ServerKeyExchange of this suite carries finite-field DH parameters."""
    return ("_DHE_" in name or "_DH_anon_" in name) and "_PSK_" not in name


# Targeted hellos for the key-exchange facts (tls-hardening pack)
def _strong_first(codes: list[int]) -> tuple[int, ...]:
    return tuple(sorted(codes, key=lambda c: (bool(categories(SUITES[c])), _preference(c))))


DHE_SUITES = _strong_first([c for c in _LEGACY
                            if SUITES[c].startswith(("TLS_DHE_RSA_", "TLS_DHE_DSS_"))])
RSA_KX_SUITES = _strong_first([c for c in _LEGACY if SUITES[c].startswith("TLS_RSA_WITH_")])


def is_ecdh(name: str) -> bool:
    """The ServerKeyExchange of this suite names a curve."""
    return "_ECDHE_" in name or "_ECDH_anon_" in name


# ---- key-exchange groups ------------------------------------------------------------------

GROUP_CODES: dict[str, int] = {
    "secp192r1": 19, "secp224r1": 21, "secp256k1": 22,
    "secp256r1": 23, "secp384r1": 24, "secp521r1": 25,
    "brainpoolP256r1": 26, "brainpoolP384r1": 27, "brainpoolP512r1": 28,
    "x25519": 29, "x448": 30,
    "brainpoolP256r1tls13": 31, "brainpoolP384r1tls13": 32, "brainpoolP512r1tls13": 33,
    "sect233k1": 6, "sect233r1": 7, "sect283k1": 9, "sect283r1": 10,
    "sect409k1": 11, "sect409r1": 12, "sect571k1": 13, "sect571r1": 14,
    "ffdhe2048": 256, "ffdhe3072": 257, "ffdhe4096": 258, "ffdhe6144": 259, "ffdhe8192": 260,
}
assert set(GROUP_CODES) == set(GROUPS)
GROUP_NAMES: dict[int, str] = {v: k for k, v in GROUP_CODES.items()}
P_CURVES = ("secp256r1", "secp384r1", "secp521r1")
# ECDHE curves usable under TLS <= 1.2 (no finite-field or TLS 1.3-only code points)
TLS12_GROUPS: tuple[str, ...] = tuple(
    g for g in GROUPS if not g.startswith("ffdhe") and not g.endswith("tls13")
)
TLS13_GROUPS: tuple[str, ...] = GROUPS
# Hellos that are not about groups offer these, most usual first.
_USUAL = ("x25519", "secp256r1", "secp384r1", "secp521r1", "x448")
HELLO_GROUPS: tuple[str, ...] = (*_USUAL, *(g for g in GROUPS if g not in _USUAL))


def group_name(code: int) -> str:
    return GROUP_NAMES.get(code, f"0x{code:04X}")
