"""SARIF: valid against the OASIS schema and shaped the way GitHub code scanning accepts."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reports.sarif import (
    MAX_DESCRIPTION,
    MAX_EVIDENCE,
    MAX_MESSAGE,
    MAX_TAGS,
    artifact_location,
    fingerprint,
    pascal_case,
    render_sarif,
    slug,
)
from scanner.models import Message, MessageKey, RuleResult, ScanResult, ServiceReport, Status
from tests.reports.sample import (
    HOSTILE_SUBJECT,
    TIMEOUT_REASON,
    make_large_result,
    make_sample_result,
)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "reports/schema/sarif-schema-2.1.0.json"
# sha256 of sarif-2.1/prose/sarif-schema-2.1.0.json in oasis-tcs/sarif-spec (Draft-07 edition)
OASIS_SCHEMA_SHA256 = "6352a05f9d03f181b8d9c71a46bdacc4fcff9d8ade5364858b425ba0c0994ed7"


def _log(result: ScanResult | None = None, base_dir: Path | None = None) -> dict[str, Any]:
    text = render_sarif(result or make_sample_result(), base_dir=base_dir or Path.cwd())
    data: dict[str, Any] = json.loads(text)
    return data


def _run(result: ScanResult | None = None, base_dir: Path | None = None) -> dict[str, Any]:
    run: dict[str, Any] = _log(result, base_dir)["runs"][0]
    return run


def _find(run: dict[str, Any], rule_id: str, service: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        r for r in run["results"]
        if r["ruleId"] == rule_id and r["properties"]["service"] == service
    )
    return found


def _with_results(result: ScanResult, *results: RuleResult) -> ScanResult:
    return result.model_copy(update={"results": results})


# ---- schema -------------------------------------------------------------------------------

def test_schema_copy_is_the_official_file() -> None:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OASIS_SCHEMA_SHA256
    schema = json.loads(raw)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("make", [make_sample_result, make_large_result],
                         ids=["sample", "large"])
def test_sample_validates_against_oasis_schema(make: Callable[[], ScanResult]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    log = _log(make())
    errors = [e.message for e in validator.iter_errors(log)]
    assert errors == []
    results = log["runs"][0]["results"]
    fingerprints = {r["partialFingerprints"]["rempart/v1"] for r in results}
    assert len(fingerprints) == len(results)  # ~100 services: no two findings merge


def test_output_is_deterministic() -> None:
    base = Path.cwd()
    assert render_sarif(make_sample_result(), base_dir=base) == render_sarif(
        make_sample_result(), base_dir=base
    )


# ---- run and tool -------------------------------------------------------------------------

def test_one_run_with_driver_and_automation_details() -> None:
    log = _log()
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "Rempart" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert run["automationDetails"]["id"] == "rempart/clinique-exemple/"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2025-03-03T08:00:00.417293Z"  # RFC 3339 fraction
    assert invocation["endTimeUtc"] == "2025-03-03T08:02:13.503804Z"
    srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert srcroot == Path.cwd().as_uri() + "/"


def test_every_rule_is_described_for_github() -> None:
    result = make_sample_result()
    rules = _run(result)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in result.rules]
    for rule in rules:
        assert rule["name"] and re.fullmatch(r"[A-Za-z0-9]+", rule["name"])
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        props = rule["properties"]
        assert props["precision"] == "very-high"
        assert len(props["tags"]) <= MAX_TAGS
        assert props["tags"][:2] == ["security", "compliance"]
    first = rules[0]
    assert first["name"] == "SSL20AndSSL30AreRefused"
    assert "iso27001/A.8.24" in first["properties"]["tags"]
    assert "anssi-tls/§ 2.1" in first["properties"]["tags"]
    assert "REQ-TLS-01" in first["properties"]["tags"]
    assert "REQ-TLS-01" in first["help"]["text"] and "iso27001 A.8.24" in first["help"]["text"]
    assert "Disable SSLv2 and SSLv3" in first["help"]["markdown"]


def test_security_severity_is_a_number_string_and_absent_for_info() -> None:
    expected = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
    for rule in _run()["tool"]["driver"]["rules"]:
        props = rule["properties"]
        severity = props["rempart/severity"]
        if severity == "info":
            assert "security-severity" not in props  # GitHub: 0.0 means none; show by level
            assert rule["defaultConfiguration"]["level"] == "note"
        else:
            value = props["security-severity"]
            assert value == expected[severity]
            assert 0.0 < float(value) <= 10.0


def test_tags_are_capped_at_twenty() -> None:
    result = make_sample_result()
    many = {f"fw{i}": (f"C{i}",) for i in range(30)}
    rule = result.rules[0].model_copy(update={"controls": many})
    run = _run(result.model_copy(update={"rules": (rule, *result.rules[1:])}))
    tags = run["tool"]["driver"]["rules"][0]["properties"]["tags"]
    assert len(tags) == MAX_TAGS and len(set(tags)) == MAX_TAGS


# ---- results ------------------------------------------------------------------------------

def test_one_result_per_fail_and_error_only() -> None:
    result = make_sample_result()
    run = _run(result)
    wanted = [(r.rule_id, r.service) for r in result.results
              if r.status in (Status.FAIL, Status.ERROR)]
    got = [(r["ruleId"], r["properties"]["service"]) for r in run["results"]]
    assert got == wanted and len(got) == 8
    statuses = {r["properties"]["status"] for r in run["results"]}
    assert statuses == {"fail", "error"}


def test_rule_index_points_at_the_rule() -> None:
    run = _run()
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_fail_result_fields() -> None:
    res = _find(_run(), "TLS-PROTO-001", "legacy-api:8443/tls")
    assert res["kind"] == "fail" and res["level"] == "error"
    text = res["message"]["text"]
    assert text.startswith("api-legacy.clinique-exemple.test:8443 (tls): tls.protocols: "
                           "expected none of SSLv2, SSLv3; found SSLv3, TLSv1.0")
    assert text.count("expected") == 1  # each condition is worded once
    assert text.endswith("Evidence: SSLv3: RC4-SHA.")
    evidence = res["properties"]["evidence"][0]
    assert evidence["operator"] == "none_of"
    assert evidence["decisive"] == [{"value": "SSLv3", "detail": "RC4-SHA"}]
    info = _find(_run(), "CE-TLS13-001", "legacy-api:8443/tls")
    assert info["level"] == "note"


def test_error_result_is_open_and_says_why() -> None:
    res = _find(_run(), "TLS-GROUP-002", "legacy-api:8443/tls")
    assert res["kind"] == "open"
    assert res["level"] == "none"  # SARIF §3.27.10: kind other than fail => level none
    text = res["message"]["text"]
    assert text.startswith("api-legacy.clinique-exemple.test:8443 (tls): could not be checked;")
    assert text.endswith("found unknown (the fact could not be established); "
                         f"timeout: {TIMEOUT_REASON}.")
    assert res["properties"]["evidence"][0]["unknown"] == "fact_error"
    assert res["properties"]["status"] == "error"


def test_locations_are_relative_with_a_start_line() -> None:
    run = _run()
    for res in run["results"]:
        loc = res["locations"][0]
        artifact = loc["physicalLocation"]["artifactLocation"]
        uri = artifact["uri"]
        assert uri.startswith("file:") or "://" not in uri
        assert not uri.startswith("/")
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        logical = loc["logicalLocations"][0]
        assert logical["fullyQualifiedName"] == res["properties"]["service"]
    mail = _find(run, "TLS-CIPH-002", "mail:25/smtp")["locations"][0]
    assert mail["physicalLocation"]["artifactLocation"]["uri"] == "inventory.yaml"
    assert mail["physicalLocation"]["region"] == {"startLine": 23, "startColumn": 9}
    assert mail["logicalLocations"][0]["name"] == "mx.clinique-exemple.test:25 (smtp)"


def test_location_relative_to_base_dir(tmp_path: Path) -> None:
    inventory = tmp_path / "estates" / "clinique ex" / "inventory.yaml"
    assert artifact_location(str(inventory), tmp_path) == {
        "uri": "estates/clinique%20ex/inventory.yaml", "uriBaseId": "%SRCROOT%",
    }
    outside = artifact_location(str(inventory), tmp_path / "elsewhere")
    assert outside == {"uri": inventory.as_uri()}
    assert outside["uri"].startswith("file:///")


def test_service_without_location_points_to_targets_file() -> None:
    result = make_sample_result()
    reports = tuple(
        ServiceReport(service=s.service.model_copy(update={"location": None}),
                      facts=s.facts, probes=s.probes)
        for s in result.services
    )
    run = _run(result.model_copy(update={"services": reports}))
    for res in run["results"]:
        physical = res["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "rempart-targets.txt"
        assert physical["region"]["startLine"] == 1


def test_fingerprints_ignore_messages_and_times() -> None:
    result = make_sample_result()
    target = next(r for r in result.results if r.rule_id == "TLS-PROTO-002"
                  and r.service == "mail:25/smtp")
    later = result.model_copy(update={
        "started_at": result.started_at + timedelta(days=7),
        "finished_at": result.finished_at + timedelta(days=7),
    })
    reworded = target.model_copy(update={"message": Message(key=MessageKey.LEGACY,
                                                            text="TLSv1.0 still accepted")})
    one = _find(_run(_with_results(result, target)), "TLS-PROTO-002", "mail:25/smtp")
    two = _find(_run(_with_results(later, reworded)), "TLS-PROTO-002", "mail:25/smtp")
    assert one["message"] != two["message"]
    assert one["partialFingerprints"] == two["partialFingerprints"]
    digest = fingerprint("TLS-PROTO-002", "mail:25/smtp")
    assert one["partialFingerprints"]["rempart/v1"] == digest
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert one["partialFingerprints"]["primaryLocationLineHash"] == digest[:16] + ":1"


def test_fingerprints_differ_per_rule_and_service() -> None:
    prints = [r["partialFingerprints"]["rempart/v1"] for r in _run()["results"]]
    assert len(set(prints)) == len(prints)


# ---- hostile and large text ---------------------------------------------------------------

def test_hostile_strings_stay_data() -> None:
    text = render_sarif(make_sample_result(), base_dir=Path.cwd())
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text  # JSON-escaped
    run = json.loads(text)["runs"][0]
    res = _find(run, "CERT-TRUST-001", "legacy-api:8443/tls")
    assert HOSTILE_SUBJECT in res["message"]["text"]
    decisive = res["properties"]["evidence"][0]["decisive"]
    assert decisive == [{"value": "self-signed", "detail": f"subject: {HOSTILE_SUBJECT}"}]


def test_long_strings_are_bounded() -> None:
    result = make_sample_result()
    banner_result = next(r for r in result.results if r.rule_id == "TLS-PROTO-002"
                         and r.service == "mail:25/smtp")
    huge = banner_result.model_copy(update={"message": Message(
        key=MessageKey.LEGACY, text="\x1b[2J" + "B" * 70_000)})
    run = _run(_with_results(result, banner_result, huge))
    for res in run["results"]:
        assert len(res["message"]["text"]) <= MAX_MESSAGE
        assert "\x1b" not in res["message"]["text"]
        for ev in res["properties"]["evidence"]:
            assert all(len(o["detail"]) <= MAX_EVIDENCE for o in ev["decisive"])
    detail = run["results"][0]["properties"]["evidence"][0]["decisive"][0]["detail"]
    assert detail.endswith("characters in all]") and len(detail) == MAX_EVIDENCE


# ---- helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("The certificate chain is trusted", "TheCertificateChainIsTrusted"),
        ("3DES cipher suites are refused", "3DESCipherSuitesAreRefused"),
        ("Le certificat expire après le contrat", "LeCertificatExpireApresLeContrat"),
        ("<script>", "Script"),
    ],
)
def test_pascal_case(title: str, name: str) -> None:
    assert pascal_case(title) == name


@pytest.mark.parametrize(
    ("customer", "expected"),
    [("Clinique Exemple", "clinique-exemple"), ("Hôpital Saint-Éloi", "hopital-saint-eloi"),
     ("../..", "scan"), ("", "scan")],
)
def test_slug(customer: str, expected: str) -> None:
    assert slug(customer) == expected


def test_help_finds_requirements_of_other_packs() -> None:
    result = make_sample_result()
    custom = result.rules[-1]
    assert custom.pack == "clinique-extra"
    cites = custom.model_copy(update={"requirements": ("CE-REQ-1", "REQ-TLS-01", "REQ-NOPE")})
    run = _run(result.model_copy(update={"rules": (*result.rules[:-1], cites)}))
    help_text = run["tool"]["driver"]["rules"][-1]["help"]["text"]
    assert "- CE-REQ-1: Public web services offer TLS 1.3. (CE: " in help_text
    assert "- REQ-TLS-01: SSL 2.0 and SSL 3.0 are refused. (SH: Livre blanc" in help_text
    assert "- REQ-NOPE\n" in help_text


def test_descriptions_fit_github_limits() -> None:
    result = make_sample_result()
    first = result.rules[0]
    wordy = first.model_copy(update={
        "title": {"en": "Refused " * 400}, "rationale": {"en": "x" * 5000},
    })
    rule = _run(result.model_copy(update={"rules": (wordy, *result.rules[1:])}))["tool"][
        "driver"]["rules"][0]
    assert len(rule["name"]) <= 255
    assert len(rule["shortDescription"]["text"]) <= MAX_DESCRIPTION
    assert len(rule["fullDescription"]["text"]) <= MAX_DESCRIPTION
