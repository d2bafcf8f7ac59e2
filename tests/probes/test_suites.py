"""Cipher-suite registry, weak categories and group tables."""

from __future__ import annotations

import pytest

from scanner.facts import GROUPS, WEAK_CATEGORIES
from scanner.probes.tls.sslv2 import CIPHER_SPECS, spec_categories
from scanner.probes.tls.suites import (
    ALL_LEGACY_SUITES,
    CERT_SUITES,
    ECDHE_SUITES,
    GROUP_CODES,
    GROUP_NAMES,
    SCSV_RENEGOTIATION,
    SUITES,
    TLS12_GROUPS,
    TLS13_SUITES,
    WEAK_SUITES,
    categories,
    group_name,
    suite_name,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("TLS_RSA_WITH_RC4_128_SHA", ("rc4",)),
    ("TLS_RSA_WITH_RC4_128_MD5", ("rc4", "md5")),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", ("3des",)),
    ("TLS_RSA_WITH_DES_CBC_SHA", ("des",)),
    ("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", ("des", "export")),
    ("TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5", ("des", "export", "md5")),
    ("TLS_RSA_WITH_NULL_SHA256", ("enull",)),
    ("TLS_ECDHE_ECDSA_WITH_NULL_SHA", ("enull",)),
    ("TLS_DH_anon_WITH_AES_128_CBC_SHA", ("anon",)),
    ("TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", ("3des", "anon")),
    ("TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", ("rc4", "export", "anon", "md5")),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", ()),
    ("TLS_AES_128_GCM_SHA256", ()),
])
def test_categories(name: str, expected: tuple[str, ...]) -> None:
    assert categories(name) == expected
    assert set(expected) <= set(WEAK_CATEGORIES)


def test_registry() -> None:
    assert len(SUITES) >= 328
    assert suite_name(0x000A) == "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
    assert suite_name(0x1302) == "TLS_AES_256_GCM_SHA384"
    assert suite_name(0xFAFA) == "0xFAFA"
    assert all(code not in ALL_LEGACY_SUITES for code in TLS13_SUITES)
    assert 0x0000 not in ALL_LEGACY_SUITES
    assert ALL_LEGACY_SUITES[-1] == SCSV_RENEGOTIATION


def test_weak_suites_cover_every_weak_category_and_nothing_else() -> None:
    assert all(categories(SUITES[c]) for c in WEAK_SUITES)
    seen = {cat for c in WEAK_SUITES for cat in categories(SUITES[c])}
    assert seen == set(WEAK_CATEGORIES)
    strong = [c for c in ALL_LEGACY_SUITES if c not in WEAK_SUITES and c != SCSV_RENEGOTIATION]
    assert all(not categories(SUITES[c]) for c in strong)
    # strong suites come first so client-preference servers pick a usual one
    assert ALL_LEGACY_SUITES.index(strong[-1]) < ALL_LEGACY_SUITES.index(WEAK_SUITES[0])
    assert len(ALL_LEGACY_SUITES) * 2 < 16384


def test_suite_subsets() -> None:
    assert all(SUITES[c].startswith(("TLS_ECDHE_RSA_", "TLS_ECDHE_ECDSA_")) for c in ECDHE_SUITES)
    names = [SUITES[c] for c in CERT_SUITES if c != SCSV_RENEGOTIATION]
    assert not any("_anon_" in n or "PSK" in n or "SRP" in n for n in names)
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in names


def test_groups_match_the_catalogue() -> None:
    assert set(GROUP_CODES) == set(GROUPS)
    assert GROUP_CODES["secp256r1"] == 23 and GROUP_CODES["x25519"] == 29
    assert GROUP_CODES["ffdhe2048"] == 256
    assert all(GROUP_NAMES[GROUP_CODES[g]] == g for g in GROUPS)
    assert group_name(0x11EC) == "0x11EC"
    assert "ffdhe2048" not in TLS12_GROUPS and "brainpoolP256r1tls13" not in TLS12_GROUPS


def test_sslv2_cipher_specs() -> None:
    assert spec_categories("SSL_CK_RC4_128_WITH_MD5") == ("rc4", "md5")
    assert spec_categories("SSL_CK_RC4_128_EXPORT40_WITH_MD5") == ("rc4", "export", "md5")
    assert spec_categories("SSL_CK_DES_64_CBC_WITH_MD5") == ("des", "md5")
    assert spec_categories("SSL_CK_DES_192_EDE3_CBC_WITH_MD5") == ("3des", "md5")
    assert spec_categories("SSL_CK_IDEA_128_CBC_WITH_MD5") == ("md5",)
    assert CIPHER_SPECS[0x0700C0] == "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"
