"""The `certificate` probe: the server's chain, its leaf's properties, trust and name match."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import re
import ssl
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import (
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    Subject,
    VerificationError,
)
from service_identity import CertificateError
from service_identity import VerificationError as NameMismatch
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)

from scanner.facts import FactKind, FactSpec
from scanner.models import (
    CertificateSummary,
    Fact,
    FactValue,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeInputs, ProbeTarget
from scanner.probes.tls.chain import fetch_chain
from scanner.probes.tls.session import TLS_SESSION

COMPLETED, ERROR, NOT_APPLICABLE = (
    ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE,
)
SIGNATURE_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "none")
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def load_certs(data: bytes) -> list[x509.Certificate]:
    """Every parseable certificate of a PEM bundle (a bad one does not spoil the rest) or DER."""
    certs = []
    with warnings.catch_warnings():  # old system roots with odd serials
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM.findall(data):
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
        if not certs:
            with contextlib.suppress(ValueError):
                certs.append(x509.load_der_x509_certificate(data))
    return certs


@cache
def system_roots() -> tuple[x509.Certificate, ...]:
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.openssl_cafile, *SYSTEM_BUNDLES):
        if path and Path(path).is_file():
            return tuple(load_certs(Path(path).read_bytes()))
    return ()


def key_info(cert: x509.Certificate) -> tuple[str, int]:
    """Public key type (catalogue vocabulary) and size in bits."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    raise ValueError(f"unsupported public key type {type(key).__name__}")


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def summarize(cert: x509.Certificate) -> CertificateSummary:
    san = _san(cert)
    try:
        key_type, key_bits = key_info(cert)
    except ValueError:
        key_type, key_bits = "unknown", 0
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=tuple(san.get_values_for_type(x509.DNSName)) if san else (),
        ip_addresses=tuple(str(a) for a in san.get_values_for_type(x509.IPAddress)) if san else (),
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=cert.signature_algorithm_oid._name,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def self_signed(leaf: x509.Certificate) -> tuple[bool, Phrase]:
    if leaf.issuer != leaf.subject:
        return False, say("summary.cert.issuer_differs")
    try:
        leaf.verify_directly_issued_by(leaf)
    except Exception as exc:  # InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm
        return False, say("summary.cert.own_key_fails", error=repr(exc))
    return True, say("summary.cert.self_signed")


def own_name(leaf: x509.Certificate) -> Subject | None:
    """A name the leaf claims itself (trust is judged apart from the service's name)."""
    san = _san(leaf)
    if san is None:
        return None
    for name in san.get_values_for_type(x509.DNSName):
        try:
            return x509.DNSName(re.sub(r"^\*\.", "wildcard.", name))
        except ValueError:
            continue
    ips = san.get_values_for_type(x509.IPAddress)
    return x509.IPAddress(ips[0]) if ips else None


def _verify(leaf: x509.Certificate, rest: list[x509.Certificate], roots: list[x509.Certificate],
            when: dt.datetime, *, as_server: bool) -> str | None:
    """None if the chain builds to an anchor at `when`, else why not (webpki policy)."""
    builder = PolicyBuilder().store(Store(roots)).time(when)
    subject = own_name(leaf) if as_server else None
    try:
        if subject is not None:
            builder.build_server_verifier(subject).verify(leaf, rest)
        else:  # no SAN to verify against (or a CA certificate): judge the chain alone
            builder.extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=ExtensionPolicy.permit_all(),
            ).build_client_verifier().verify(leaf, rest)
    except VerificationError as exc:
        return str(exc)
    return None


def weak_parameters(leaf: x509.Certificate) -> list[str]:
    """The leaf's own weak signature hash or key, which the key and signature rules judge."""
    weak = []
    algorithm = leaf.signature_hash_algorithm
    if algorithm is not None and algorithm.name in ("md5", "sha1"):
        weak.append(f"{algorithm.name.upper()} signature")
    try:
        key_type, bits = key_info(leaf)
    except ValueError:
        return weak
    if (key_type in ("RSA", "DSA") and bits < 2048) or (key_type == "EC" and bits < 256):
        weak.append(f"{key_type} {bits}-bit key")
    return weak


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The issuer's key verifies the certificate's signature, SHA-1 and MD5 included
    (cryptography's verify_directly_issued_by refuses those hashes; hand-written for that)."""
    if cert.issuer != issuer.subject:
        return False
    key, algorithm = issuer.public_key(), cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def trusted(leaf: x509.Certificate, rest: list[x509.Certificate],
            ca_file: Path | None) -> tuple[bool, Phrase]:
    """Builds to a trust anchor, at a time inside the leaf's validity, for its own name.

    Each defect stays with its own rule: the leaf's dates (validity, contract term), its name
    (hostname match) and its weak signature hash or key (key and signature rules) do not make
    the chain untrusted.
    """
    roots = list(system_roots())
    if ca_file is not None:
        try:
            extra = load_certs(ca_file.read_bytes())
        except OSError as exc:
            raise ProbeFailure(f"cannot read the CA file {ca_file}: {exc.strerror}",
                               ReasonCategory.BAD_INPUT) from exc
        roots += extra
    if not roots:
        return False, say("summary.cert.no_anchors")
    now = dt.datetime.now(dt.UTC)
    when = min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    day = f"{when:%Y-%m-%d}"
    ca = str(ca_file) if ca_file else ""
    problem = _verify(leaf, rest, roots, when, as_server=True)
    if problem is None:
        return True, say("summary.cert.trusted" + ("_ca" if ca_file else ""), day=day, ca_file=ca)
    weak = weak_parameters(leaf)
    issuer = next((c for c in (*rest, *roots) if weak and signed_by(leaf, c)), None)
    if issuer is None:
        return False, say("summary.cert.untrusted", problem=problem)
    # The webpki policy refuses the leaf for its weak parameters: judge the chain above it.
    above = [c for c in rest if c != issuer]
    if issuer not in roots and _verify(issuer, above, roots, when, as_server=False) is not None:
        return False, say("summary.cert.untrusted", problem=problem)
    return True, say("summary.cert.weak_leaf" + ("_ca" if ca_file else ""), day=day,
                     issuer=issuer.subject.rfc4514_string(), weak=weak, ca_file=ca)


def hostname_match(leaf: x509.Certificate, expected: str) -> tuple[bool, Phrase]:
    try:
        ip = ipaddress.ip_address(expected)
    except ValueError:
        ip = None
    try:
        if ip is not None:
            verify_certificate_ip_address(leaf, str(ip))
        else:
            verify_certificate_hostname(leaf, expected)
    except (NameMismatch, CertificateError) as exc:
        return False, say("summary.cert.name_mismatch", name=expected, error=str(exc))
    return True, say("summary.cert.name_match", name=expected)


def signature_hash(leaf: x509.Certificate) -> str:
    algorithm = leaf.signature_hash_algorithm
    name = "none" if algorithm is None else algorithm.name
    if name not in SIGNATURE_HASHES:
        raise ValueError(f"signature hash {name} is outside the catalogue")
    return name


def _facts(chain: tuple[bytes, ...], how: Phrase, ctx: ProbeContext,
           target: ProbeTarget) -> dict[str, Callable[[], Fact]]:
    certs = [x509.load_der_x509_certificate(der) for der in chain]
    leaf, rest = certs[0], certs[1:]

    def fact(name: str, value: FactValue, said: Phrase = how) -> Fact:
        return Fact(name=name, status=COMPLETED, value=value, summary=summary(said))

    def pair(name: str, result: tuple[bool, Phrase]) -> Fact:
        return fact(name, result[0], result[1])

    return {
        "cert.present": lambda: fact("cert.present", True,
                                     say("summary.cert.present", how, n=len(certs))),
        "cert.chain": lambda: fact("cert.chain", tuple(summarize(c) for c in certs)),
        "cert.self_signed": lambda: pair("cert.self_signed", self_signed(leaf)),
        "cert.trusted": lambda: pair("cert.trusted", trusted(leaf, rest, ctx.ca_file)),
        "cert.hostname_match": lambda: pair(
            "cert.hostname_match", hostname_match(leaf, target.expected_name)),
        "cert.not_before": lambda: fact("cert.not_before", leaf.not_valid_before_utc),
        "cert.not_after": lambda: fact("cert.not_after", leaf.not_valid_after_utc),
        "cert.key_type": lambda: fact("cert.key_type", key_info(leaf)[0]),
        "cert.key_bits": lambda: fact("cert.key_bits", key_info(leaf)[1]),
        "cert.signature_hash": lambda: fact("cert.signature_hash", signature_hash(leaf)),
    }


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("cert.present", FactKind.BOOL, "certificate",
             "The server presents a certificate"),
    FactSpec("cert.chain", FactKind.CHAIN, "certificate",
             "The certificate chain as received, leaf first",
             report_only=True),
    FactSpec("cert.self_signed", FactKind.BOOL, "certificate",
             "The leaf certificate is signed by its own key"),
    FactSpec("cert.trusted", FactKind.BOOL, "certificate",
             "The chain builds to a trust anchor (system store plus --ca-file)"),
    FactSpec("cert.hostname_match", FactKind.BOOL, "certificate",
             "The leaf certificate is valid for the service's DNS name (or IP address)"),
    FactSpec("cert.not_before", FactKind.DATETIME, "certificate",
             "Start of the leaf certificate's validity (UTC)"),
    FactSpec("cert.not_after", FactKind.DATETIME, "certificate",
             "End of the leaf certificate's validity (UTC)"),
    FactSpec("cert.key_type", FactKind.STR, "certificate",
             "Leaf public key type", ("RSA", "EC", "Ed25519", "Ed448", "DSA")),
    FactSpec("cert.key_bits", FactKind.INT, "certificate", "Leaf public key size in bits"),
    FactSpec("cert.signature_hash", FactKind.STR, "certificate",
             "Hash algorithm of the leaf certificate's signature",
             SIGNATURE_HASHES),
)

CERT_FACTS = tuple(s.name for s in FACT_SPECS)

class CertificateProbe:
    """Facts about the certificate chain the service presents."""

    name = "certificate"
    facts = FACT_SPECS
    needs = (TLS_SESSION,)  # handshakes go through the tls probe's session (chains seen reused)
    makes = ()
    provides = frozenset(CERT_FACTS)

    def run(
        self,
        target: ProbeTarget,
        wanted: frozenset[str],
        ctx: ProbeContext,
        inputs: ProbeInputs,
    ) -> list[Fact]:
        names = [n for n in CERT_FACTS if n in wanted]
        session = inputs.artefact(TLS_SESSION)
        try:
            got = fetch_chain(session)
            if not got.chain:
                return [Fact(name="cert.present", status=COMPLETED, value=False,
                             summary=summary(got.how))
                        if n == "cert.present" else
                        Fact(name=n, status=NOT_APPLICABLE, reason="no certificate presented",
                             why=say("reason.cert.none"))
                        for n in names]
            builders = _facts(got.chain, got.how, ctx, target)
        except (ValueError, UnsupportedAlgorithm) as exc:  # an unparseable leaf: server data
            bad = ProbeFailure(f"certificate unusable: {type(exc).__name__}: {exc}")
            return [Fact(name=n, status=COMPLETED, value=True,
                         summary=summary(say("summary.cert.unusable", detail=bad.detail)))
                    if n == "cert.present" else bad.fact(n) for n in names]
        facts = []
        for n in names:
            try:
                facts.append(builders[n]())
            except ProbeFailure as exc:
                facts.append(exc.fact(n))
            except (ValueError, UnsupportedAlgorithm) as exc:  # server data defeats a parser
                facts.append(ProbeFailure(f"{type(exc).__name__}: {exc}").fact(n))
        return facts
