"""The benchmark's reading of sslyze's trust verdict (bench/sslyze_facts.py): a chain refused
only for the leaf's own SHA-1 signature is judged again apart from that hash (as Rempart's
CERT-TRUST-002 judges it), and stays untrusted when it does not build to the trust store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509

from bench.sslyze_facts import _trusted_apart_from_leaf_hash
from scanner.demo.pki import CertAuthority, issue_leaf, make_ca

SAYS = "Supplied CA file: validation failed: Forbidden signature algorithm: RsaWithSha1"


def _deployment(store: Path) -> dict[str, Any]:
    """The part of sslyze's certificate_info JSON the function reads."""
    return {"path_validation_results": [
        {"trust_store": {"name": "Supplied CA file", "path": str(store), "version": "n/a"},
         "was_validation_successful": False, "validation_error": SAYS}]}


def _chain(leaf_pem: Path, hashes: tuple[str, ...]) -> list[dict[str, Any]]:
    text = leaf_pem.read_text()
    pems = [p + "-----END CERTIFICATE-----\n" for p in text.split("-----END CERTIFICATE-----")
            if "BEGIN" in p]
    return [{"as_pem": pem.strip() + "\n", "signature_hash_algorithm": {"name": h}}
            for pem, h in zip(pems, hashes, strict=True)]


def _sha1_leaf(ca: CertAuthority, tmp_path: Path) -> tuple[x509.Certificate, Path]:
    leaf = issue_leaf(ca, tmp_path, "weak", dns_names=["svc.bench.test"], key="rsa1024",
                      hash="sha1")
    return leaf.cert, leaf.chain_pem


def test_a_sha1_leaf_of_a_trusted_ca_is_trusted_apart_from_its_hash(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca", "Bench CA")
    leaf, chain_pem = _sha1_leaf(ca, tmp_path)
    trusted, how = _trusted_apart_from_leaf_hash(
        _deployment(ca.cert_pem), leaf, _chain(chain_pem, ("sha1", "sha256")), SAYS)
    assert trusted, how
    assert "SHA1 signature apart" in how


def test_a_sha1_leaf_of_an_unknown_ca_stays_untrusted(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca", "Bench CA")
    other = make_ca(tmp_path / "other", "Some Other CA")
    leaf, chain_pem = _sha1_leaf(ca, tmp_path)
    trusted, how = _trusted_apart_from_leaf_hash(
        _deployment(other.cert_pem), leaf, _chain(chain_pem, ("sha1", "sha256")), SAYS)
    assert not trusted
    assert how.startswith(SAYS) and "OpenSSL" in how


def test_a_refused_hash_above_the_leaf_keeps_sslyzes_verdict(tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "ca", "Bench CA")
    leaf, chain_pem = _sha1_leaf(ca, tmp_path)
    assert _trusted_apart_from_leaf_hash(  # as if the certificate above were SHA-1 signed
        _deployment(ca.cert_pem), leaf, _chain(chain_pem, ("sha1", "sha1")), SAYS
    ) == (False, SAYS)
    assert _trusted_apart_from_leaf_hash(  # a leaf with an accepted hash: not this case
        _deployment(ca.cert_pem), leaf, _chain(chain_pem, ("sha256", "sha256")), SAYS
    ) == (False, SAYS)
