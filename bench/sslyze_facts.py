"""Turn a sslyze 6 JSON result (``--json_out``) into Rempart facts for the same services.

What sslyze measured is mapped onto Rempart's fact catalogue so that the very same rule
objects can judge both tools:

- ``tls.protocols``: ``is_tls_version_supported`` of the six ``*_cipher_suites`` commands.
- ``tls.weak_suites``: the accepted suites of SSL 2.0 .. TLS 1.2, categorised with Rempart's own
  functions (``suites.categories`` for IANA names, ``sslv2.spec_categories`` for SSL 2.0 specs).
- ``tls12.groups`` / ``tls13.groups``: ``elliptic_curves``. sslyze tests the curves under the
  highest version the server accepts only; when that is TLS 1.3, the same list is used for TLS 1.2
  (true for servers with one group list for both versions, as every bench server has).
- ``cert.*``: the leaf and the path validation of the first certificate deployment of
  ``certificate_info`` (see :func:`_trusted` for how trust is read).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from OpenSSL import crypto
from service_identity import CertificateError
from service_identity import VerificationError as NameMismatch
from service_identity.cryptography import verify_certificate_hostname

from scanner.facts import FACTS, GROUPS, TLS_PROTOCOLS, WEAK_CATEGORIES
from scanner.models import Fact, FactValue, Observation, ProbeStatus
from scanner.probes.certificate import own_name
from scanner.probes.tls.sslv2 import spec_categories
from scanner.probes.tls.suites import categories

COMPLETED, ERROR, NOT_APPLICABLE = (
    ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE,
)
VERSION_COMMANDS = {  # Rempart protocol name -> sslyze scan command
    "SSLv2": "ssl_2_0_cipher_suites",
    "SSLv3": "ssl_3_0_cipher_suites",
    "TLSv1.0": "tls_1_0_cipher_suites",
    "TLSv1.1": "tls_1_1_cipher_suites",
    "TLSv1.2": "tls_1_2_cipher_suites",
    "TLSv1.3": "tls_1_3_cipher_suites",
}
# The scan commands (CLI flags) this mapping needs: a "full" sslyze check of the same rules.
SSLYZE_FLAGS = ("--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
                "--elliptic_curves", "--certinfo")
DERIVED_FACTS = frozenset({
    "tls.protocols", "tls.weak_suites", "tls12.groups", "tls13.groups", "cert.present",
    "cert.self_signed", "cert.trusted", "cert.hostname_match", "cert.not_before",
    "cert.not_after", "cert.key_type", "cert.key_bits", "cert.signature_hash",
})
assert FACTS.keys() >= DERIVED_FACTS
TRUST_STORES = ("Supplied CA file", "Mozilla")  # ~ Rempart's --ca-file plus the system store
KEY_TYPES = {  # sslyze's public_key.algorithm (the key's class name) -> Rempart's vocabulary
    "RSAPublicKey": "RSA", "ECPublicKey": "EC", "EllipticCurvePublicKey": "EC",
    "Ed25519PublicKey": "Ed25519", "Ed448PublicKey": "Ed448", "DSAPublicKey": "DSA",
}
_GROUPS_BY_LOWER = {g.lower(): g for g in GROUPS} | {"prime256v1": "secp256r1"}
_NAME_OR_TIME = re.compile(r"no matching subjectAltName|not valid at validation time")
_FORBIDDEN_HASH = re.compile(r"Forbidden signature algorithm")
# Signature hashes the verifier sslyze uses (cryptography's webpki policy) refuses
WEAK_HASHES = frozenset({"md5", "sha1"})


@dataclass(frozen=True)
class SslyzeService:
    hostname: str
    port: int
    facts: dict[str, Fact]


def load_results(data: Mapping[str, Any]) -> tuple[dt.datetime, dict[int, SslyzeService]]:
    """The scan start time and, per port, the facts sslyze established."""
    started = _parse_time(str(data["date_scans_started"]))
    out: dict[int, SslyzeService] = {}
    for server in data["server_scan_results"]:
        loc = server["server_location"]
        out[int(loc["port"])] = SslyzeService(loc["hostname"], int(loc["port"]),
                                              service_facts(server))
    return started, out


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _fact(name: str, value: FactValue, summary: str) -> Fact:
    return Fact(name=name, status=COMPLETED, value=value, summary=f"sslyze: {summary}")


def _error(name: str, reason: str) -> Fact:
    return Fact(name=name, status=ERROR, reason=f"sslyze: {reason}")


def _attempt(scan: Mapping[str, Any], command: str) -> tuple[dict[str, Any] | None, str]:
    """The result of one scan command, or None and why not."""
    attempt = scan.get(command) or {}
    if attempt.get("status") != "COMPLETED" or attempt.get("result") is None:
        trace = (attempt.get("error_trace") or "").strip().splitlines()
        why = attempt.get("error_reason") or attempt.get("status") or "missing"
        return None, f"{command} {why}" + (f": {trace[-1]}" if trace else "")
    result: dict[str, Any] = attempt["result"]
    return result, ""


def service_facts(server: Mapping[str, Any]) -> dict[str, Fact]:
    if server.get("connectivity_status") != "COMPLETED" or server.get("scan_result") is None:
        trace = (server.get("connectivity_error_trace") or "").strip().splitlines()
        reason = "connectivity test failed" + (f": {trace[-1]}" if trace else "")
        return {n: _error(n, reason) for n in DERIVED_FACTS}
    scan: Mapping[str, Any] = server["scan_result"]
    facts = protocol_facts(scan)
    facts.update(group_facts(scan, facts["tls.protocols"]))
    facts.update(certificate_facts(scan, str(server["server_location"]["hostname"])))
    return facts


# ---- protocols and suites --------------------------------------------------------------------

def protocol_facts(scan: Mapping[str, Any]) -> dict[str, Fact]:
    accepted: dict[str, list[str]] = {}
    for version, command in VERSION_COMMANDS.items():
        result, why = _attempt(scan, command)
        if result is None:
            return {"tls.protocols": _error("tls.protocols", why),
                    "tls.weak_suites": _error("tls.weak_suites", why)}
        if result["is_tls_version_supported"]:
            accepted[version] = [c["cipher_suite"]["name"]
                                 for c in result["accepted_cipher_suites"]]
    protocols = tuple(Observation(value=v, detail=f"{len(accepted[v])} suites accepted")
                      for v in TLS_PROTOCOLS if v in accepted)
    found: dict[str, list[str]] = {}
    for version, names in accepted.items():
        if version == "TLSv1.3":
            continue
        for name in names:
            cats = spec_categories(name) if version == "SSLv2" else categories(name)
            for cat in cats:
                found.setdefault(cat, []).append(f"{name} under {version}")
    weak = tuple(Observation(value=c, detail="; ".join(found[c]))
                 for c in WEAK_CATEGORIES if c in found)
    counted = sum(len(n) for v, n in accepted.items() if v != "TLSv1.3")
    return {
        "tls.protocols": _fact("tls.protocols", protocols,
                               "cipher-suite scans of SSL 2.0 to TLS 1.3"),
        "tls.weak_suites": _fact("tls.weak_suites", weak,
                                 f"{counted} accepted suites up to TLS 1.2 categorised"),
    }


def group_facts(scan: Mapping[str, Any], protocols: Fact) -> dict[str, Fact]:
    names = ("tls12.groups", "tls13.groups")
    if protocols.status is not COMPLETED:
        return {n: _error(n, f"protocol versions unknown: {protocols.reason}") for n in names}
    assert isinstance(protocols.value, tuple)
    versions = {o.value for o in protocols.value if isinstance(o, Observation)}
    result, why = _attempt(scan, "elliptic_curves")
    out: dict[str, Fact] = {}
    for name, version in zip(names, ("TLSv1.2", "TLSv1.3"), strict=True):
        if version not in versions:
            out[name] = Fact(name=name, status=NOT_APPLICABLE, reason=f"{version} not accepted")
        elif result is None:
            out[name] = _error(name, why)
        elif not result["supports_ecdh_key_exchange"]:
            out[name] = _fact(name, (), "no ECDH key exchange supported")
        else:
            accepted = [_GROUPS_BY_LOWER.get(c["name"].lower(), c["name"])
                        for c in result["supported_curves"] or []]
            unknown = [g for g in accepted if g not in GROUPS]
            if unknown:
                out[name] = _error(name, f"curves outside Rempart's catalogue: {unknown}")
                continue
            highest = max(versions, key=TLS_PROTOCOLS.index)
            value = tuple(Observation(value=g, detail=f"accepted under {highest}")
                          for g in GROUPS if g in accepted)
            out[name] = _fact(name, value, f"elliptic_curves, one handshake per curve under "
                                           f"{highest}")
    return out


# ---- certificate -----------------------------------------------------------------------------

CERT_FACT_NAMES = ("cert.present", "cert.self_signed", "cert.trusted", "cert.hostname_match",
                   "cert.not_before", "cert.not_after", "cert.key_type", "cert.key_bits",
                   "cert.signature_hash")


def _load_pem(text: str) -> x509.Certificate:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_pem_x509_certificate(text.encode("ascii"))


def certificate_facts(scan: Mapping[str, Any], hostname: str) -> dict[str, Fact]:
    result, why = _attempt(scan, "certificate_info")
    if result is None:
        return {n: _error(n, why) for n in CERT_FACT_NAMES}
    deployments = result["certificate_deployments"]
    if not deployments or not deployments[0]["received_certificate_chain"]:
        return {n: (_fact(n, False, "no certificate received") if n == "cert.present" else
                    Fact(name=n, status=NOT_APPLICABLE, reason="no certificate presented"))
                for n in CERT_FACT_NAMES}
    deployment = deployments[0]
    chain = deployment["received_certificate_chain"]
    leaf_json = chain[0]
    leaf = _load_pem(leaf_json["as_pem"])
    key = leaf_json["public_key"]
    hash_alg = leaf_json["signature_hash_algorithm"]
    trusted, trust_how = _trusted(deployment, leaf, chain)
    if not trusted and _FORBIDDEN_HASH.search(trust_how):
        trusted, trust_how = _trusted_apart_from_leaf_hash(deployment, leaf, chain, trust_how)
    return {
        "cert.present": _fact("cert.present", True, f"{len(chain)} certificate(s) received"),
        "cert.self_signed": _fact("cert.self_signed", *_self_signed(leaf)),
        "cert.trusted": _fact("cert.trusted", trusted, trust_how),
        "cert.hostname_match": _fact("cert.hostname_match", *_hostname_match(leaf, hostname)),
        "cert.not_before": _fact("cert.not_before",
                                 _parse_time(leaf_json["not_valid_before"]), "leaf notBefore"),
        "cert.not_after": _fact("cert.not_after",
                                _parse_time(leaf_json["not_valid_after"]), "leaf notAfter"),
        "cert.key_type": _key_type(str(key["algorithm"])),
        "cert.key_bits": _fact("cert.key_bits", int(key["key_size"] or 0),
                               "public_key.key_size"),
        "cert.signature_hash": _fact("cert.signature_hash",
                                     hash_alg["name"] if hash_alg else "none",
                                     "signature_hash_algorithm"),
    }


def _key_type(algorithm: str) -> Fact:
    name = KEY_TYPES.get(algorithm.lstrip("_"))
    if name is None:
        return _error("cert.key_type", f"unknown public key algorithm {algorithm}")
    return _fact("cert.key_type", name, f"public_key.algorithm {algorithm}")


def _self_signed(leaf: x509.Certificate) -> tuple[bool, str]:
    if leaf.issuer != leaf.subject:
        return False, "issuer differs from subject"
    try:
        leaf.verify_directly_issued_by(leaf)
    except Exception as exc:
        return False, f"issuer equals subject, own key does not verify ({exc!r})"
    return True, "issuer equals subject and its own key verifies the signature"


def _hostname_match(leaf: x509.Certificate, hostname: str) -> tuple[bool, str]:
    try:
        verify_certificate_hostname(leaf, hostname)
    except (NameMismatch, CertificateError) as exc:
        return False, f"leaf not valid for {hostname}: {exc}"
    return True, f"leaf valid for {hostname}"


def _hash_of(cert: Mapping[str, Any]) -> str:
    algorithm = cert.get("signature_hash_algorithm")
    return str(algorithm["name"]).lower() if algorithm else "none"


def _trusted_apart_from_leaf_hash(deployment: Mapping[str, Any], leaf: x509.Certificate,
                                  chain: list[Mapping[str, Any]], sslyze_says: str
                                  ) -> tuple[bool, str]:
    """Trust judged apart from the leaf's own weak signature hash, as Rempart judges it.

    The verifier sslyze uses refuses a chain whose leaf is signed with SHA-1 or MD5, so its
    "untrusted" mixes two questions that Rempart keeps apart (issue #11): the leaf's signature
    hash is CERT-SIG-001's verdict, chain trust CERT-TRUST-002's. When the leaf alone carries a
    refused hash (every certificate above it is signed with a hash the verifier accepts), the
    same received chain and the same trust store file are checked again with OpenSSL (through
    pyOpenSSL: another implementation, no security-level policy on hashes), at a time inside the
    leaf's validity. A chain that does not build to an anchor stays untrusted, so a real
    disagreement with Rempart still shows.
    """
    if _hash_of(chain[0]) not in WEAK_HASHES or any(_hash_of(c) in WEAK_HASHES
                                                    for c in chain[1:]):
        return False, sslyze_says
    results = {r["trust_store"]["name"]: r for r in deployment["path_validation_results"]}
    when = min(max(dt.datetime.now(dt.UTC), leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    certs = [crypto.X509.from_cryptography(_load_pem(c["as_pem"])) for c in chain]
    refusals = []
    for name in TRUST_STORES:
        res = results.get(name)
        if res is None:
            continue
        store = crypto.X509Store()
        store.load_locations(res["trust_store"]["path"])
        store.set_time(when)
        try:
            crypto.X509StoreContext(store, certs[0], certs[1:]).verify_certificate()
        except crypto.X509StoreContextError as exc:
            refusals.append(f"{name}: {exc}")
            continue
        return True, (f"the chain builds to the {name} trust store for OpenSSL at "
                      f"{when:%Y-%m-%d}, the leaf's {_hash_of(chain[0]).upper()} signature "
                      f"apart (sslyze's check refused that hash: {sslyze_says})")
    return False, f"{sslyze_says}; OpenSSL, the leaf's hash apart: {'; '.join(refusals)}"


def _trusted(deployment: Mapping[str, Any], leaf: x509.Certificate,
             chain: list[Mapping[str, Any]]) -> tuple[bool, str]:
    """sslyze's path validation with the supplied CA file or its Mozilla store.

    sslyze validates for the scanned host name at the scan time, so a wrong name or an expired
    leaf also fails it. Rempart keeps those apart (CERT-NAME-001, CERT-VALID-001 judge them) and
    calls a chain trusted when it builds for the leaf's own name at a time inside its validity.
    When sslyze's validation failed on name or time only, it is run again with sslyze's own
    TrustStore code under that definition.
    """
    results = {r["trust_store"]["name"]: r for r in deployment["path_validation_results"]}
    errors: list[str] = []
    for store in TRUST_STORES:
        res = results.get(store)
        if res is None:
            continue
        if res["was_validation_successful"]:
            return True, f"validated with the {store} trust store"
        errors.append(f"{store}: {res['validation_error']}")
    if not errors:
        return False, "no path validation result for the supplied CA file or Mozilla"
    if not any(_NAME_OR_TIME.search(e) for e in errors):
        return False, "; ".join(errors)
    subject = own_name(leaf)
    if subject is None:
        return False, "; ".join(errors)
    from sslyze.plugins.certificate_info.trust_stores.trust_store import TrustStore

    when = min(max(dt.datetime.now(dt.UTC), leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    pems = [c["as_pem"] for c in chain]
    for store in TRUST_STORES:
        res = results.get(store)
        if res is None:
            continue
        ts = res["trust_store"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            store_obj = TrustStore(Path(ts["path"]), ts["name"], ts["version"])
            again = store_obj.verify_certificate_chain(pems, subject, when)
        if again.was_validation_successful:
            return True, (f"validated with the {store} trust store for the leaf's own name at "
                          f"{when:%Y-%m-%d} (sslyze's check failed on name/time: {errors[0]})")
    return False, "; ".join(errors)
