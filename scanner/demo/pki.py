"""Certificate factory for the demo and test servers (a throw-away local PKI)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyKind = Literal["rsa2048", "rsa1024", "ec256", "ec384"]
HashKind = Literal["sha256", "sha1"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class CertAuthority:
    """A root CA: its certificate, its key and where both were written."""

    cert: x509.Certificate
    key: PrivateKey
    cert_pem: Path
    key_pem: Path


@dataclass(frozen=True)
class LeafFiles:
    """An issued server certificate and its files."""

    cert: x509.Certificate
    key: PrivateKey
    cert_pem: Path  # the leaf alone
    chain_pem: Path  # leaf followed by the CA (only the leaf when self-signed)
    key_pem: Path  # PKCS#8, unencrypted


def new_key(kind: KeyKind) -> PrivateKey:
    """Generate a private key of the given kind."""
    if kind == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    raise ValueError(f"unknown key kind {kind!r}")


# DER AlgorithmIdentifiers: what cryptography writes for SHA-256 -> the SHA-1 twin.
_SHA1_ALG_IDS = {
    # sha256WithRSAEncryption -> sha1WithRSAEncryption (NULL parameters)
    bytes.fromhex("300d06092a864886f70d01010b0500"): bytes.fromhex(
        "300d06092a864886f70d0101050500"
    ),
    # ecdsa-with-SHA256 -> ecdsa-with-SHA1 (no parameters)
    bytes.fromhex("300a06082a8648ce3d040302"): bytes.fromhex("300906072a8648ce3d0401"),
}


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_tlv(data: bytes, pos: int) -> tuple[int, int]:
    """Return (content start, end) of the TLV starting at ``pos``."""
    first = data[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(data[pos + 2 : pos + 2 + n], "big")
    return pos + 2 + n, pos + 2 + n + length


def _seq(content: bytes) -> bytes:
    return b"\x30" + _der_len(len(content)) + content


def _resign_sha1(cert: x509.Certificate, key: PrivateKey) -> x509.Certificate:
    """Re-sign ``cert`` with SHA-1.

    cryptography >= 45 refuses SHA-1 in ``CertificateBuilder.sign`` ("not supported
    for signatures"), so we swap the AlgorithmIdentifier in the DER TBSCertificate
    and sign the new TBS with the raw key API, which still allows SHA-1.
    """
    tbs = cert.tbs_certificate_bytes
    start, _ = _der_tlv(tbs, 0)
    _, pos = _der_tlv(tbs, start)  # skip [0] version
    _, pos = _der_tlv(tbs, pos)  # skip serialNumber
    _, alg_end = _der_tlv(tbs, pos)
    new_alg = _SHA1_ALG_IDS[tbs[pos:alg_end]]
    new_tbs = _seq(tbs[start:pos] + new_alg + tbs[alg_end:])
    sha1 = hashes.SHA1()  # noqa: S303 - weak on purpose, for the scanner to find
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(new_tbs, padding.PKCS1v15(), sha1)
    else:
        signature = key.sign(new_tbs, ec.ECDSA(sha1))
    bit_string = b"\x03" + _der_len(len(signature) + 1) + b"\x00" + signature
    return x509.load_der_x509_certificate(_seq(new_tbs + new_alg + bit_string))


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rempart Demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def make_ca(
    directory: Path, name: str = "Rempart Test CA", *, key: KeyKind = "rsa2048"
) -> CertAuthority:
    """Create a self-signed root CA (10 years) and write ``ca.cert.pem`` / ``ca.key.pem``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = new_key(key)
    subject = _name(name)
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_pem = directory / "ca.cert.pem"
    key_pem = directory / "ca.key.pem"
    cert_pem.write_bytes(_cert_pem(cert))
    key_pem.write_bytes(_key_pem(ca_key))
    return CertAuthority(cert=cert, key=ca_key, cert_pem=cert_pem, key_pem=key_pem)


def _leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=is_rsa,  # RSA key transport (TLS_RSA_* suites)
        data_encipherment=False,
        key_agreement=not is_rsa,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _san(dns_names: Sequence[str], ips: Sequence[IPAddress]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    entries += [x509.IPAddress(ip) for ip in ips]
    return x509.SubjectAlternativeName(entries)


def issue_leaf(
    ca: CertAuthority,
    directory: Path,
    stem: str,
    *,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str | IPAddress] = (),
    common_name: str | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key: KeyKind = "rsa2048",
    hash: HashKind = "sha256",
    self_signed: bool = False,
) -> LeafFiles:
    """Issue a TLS server certificate and write ``STEM.cert.pem/.chain.pem/.key.pem``.

    Defaults: valid from yesterday for 90 days; the common name is the first DNS name
    (else the first IP, else ``stem``). Without any DNS name or IP no SAN is added (a
    CN-only legacy certificate). ``self_signed`` signs with the leaf's own key.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ips = [ipaddress.ip_address(ip) if isinstance(ip, str) else ip for ip in ip_addresses]
    if common_name is None:
        common_name = dns_names[0] if dns_names else (str(ips[0]) if ips else stem)
    leaf_key = new_key(key)
    now = _now()
    subject = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key())
    if self_signed:
        issuer, signer, issuer_ski = subject, leaf_key, ski
    else:
        issuer, signer = ca.cert.subject, ca.key
        issuer_ski = x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before if not_before is not None else now - _DAY)
        .not_valid_after(not_after if not_after is not None else now + 90 * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(leaf_key), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    )
    if dns_names or ips:
        builder = builder.add_extension(_san(dns_names, ips), critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    if hash == "sha1":
        cert = _resign_sha1(cert, signer)
    elif hash != "sha256":
        raise ValueError(f"unknown hash {hash!r}")

    cert_pem = directory / f"{stem}.cert.pem"
    chain_pem = directory / f"{stem}.chain.pem"
    key_pem = directory / f"{stem}.key.pem"
    cert_pem.write_bytes(_cert_pem(cert))
    chain = _cert_pem(cert) if self_signed else _cert_pem(cert) + _cert_pem(ca.cert)
    chain_pem.write_bytes(chain)
    key_pem.write_bytes(_key_pem(leaf_key))
    return LeafFiles(
        cert=cert, key=leaf_key, cert_pem=cert_pem, chain_pem=chain_pem, key_pem=key_pem
    )


def write_dh_params(path: Path, bits: Literal[1024, 2048]) -> Path:
    """Well-known DH groups for DHE servers: RFC 5114's 1024-bit group (weak) or ffdhe2048.

    OpenSSL writes them instantly; generating safe primes would take seconds to minutes.
    """
    option = "dh_rfc5114:1" if bits == 1024 else "group:ffdhe2048"
    subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", option,
                    "-out", str(path)], check=True, capture_output=True, timeout=30)
    return path
