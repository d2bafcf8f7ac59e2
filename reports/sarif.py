"""SARIF 2.1.0 for code-scanning platforms (GitHub first), rendered from a ScanResult.

One run. Every rule of the result becomes a `reportingDescriptor`; every `fail` and every `error`
RuleResult becomes a `result` (pass and not_applicable produce none).

- Locations: a finding is about a host:port, not a file, so the physical location is the line of
  the inventory that declares the service (`Subject.location`), as a POSIX path relative to
  `base_dir` under `%SRCROOT%` (a `file:` URI when it lies outside `base_dir`). GitHub rejects
  `https://` URIs. The service itself goes in a logical location (key and endpoint).
  --target scans have no inventory: the CLI gives their services the location
  `rempart-targets.txt` (one target per line); a service with no location at all falls back to
  `rempart-targets.txt`, line 1. Relative paths are read against the current directory.
- Fingerprints: `rempart/v1` is sha256(rule id, service key): stable across scans (no time, no
  message, no line). GitHub reads only `primaryLocationLineHash`, so that key carries the same
  hash; otherwise every --target result of one rule would share the line hash of
  rempart-targets.txt:1 and collapse into one alert.
- Severity: `security-severity` 9.5/8.0/5.5/3.0 for critical/high/medium/low. GitHub reads 0.0
  as "no security severity", so info rules carry none and show by their level (note).
- Errors (could not be checked) have kind `open`; SARIF §3.27.10 then requires level `none`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from reports.coverage import coverage_summary
from reports.levels import sarif_level, security_severity
from reports.wording import Wording
from scanner.models import (
    PackInfo,
    RuleInfo,
    RuleResult,
    ScanResult,
    Severity,
    Status,
    Subject,
    WaiverRecord,
    WaiverState,
    count_by_status,
)
from scanner.verdict import scan_verdict
from scanner.waivers import waiver_counts

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/rempart/"
TARGETS_FILE = "rempart-targets.txt"
SRCROOT = "%SRCROOT%"
MAX_MESSAGE = 1000  # characters of result.message.text
MAX_EVIDENCE = 2000  # characters of each evidence string in properties
MAX_TAGS = 20  # GitHub's limit per rule
MAX_DESCRIPTION = 1024  # GitHub's limit for shortDescription and fullDescription

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SPACES = re.compile(r" {2,}")


def render_sarif(result: ScanResult, *, base_dir: Path) -> str:
    """The SARIF log as indented JSON; locations are made relative to `base_dir`."""
    return json.dumps(sarif_log(result, base_dir=base_dir), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: ScanResult, *, base_dir: Path) -> dict[str, Any]:
    base = os.path.abspath(base_dir)
    rules = {rule.id: (i, rule) for i, rule in enumerate(result.rules)}
    services = {s.service.key: s.service for s in result.services}
    catalogue = requirement_catalogue(result.packs)
    waivers = {w.id: w for w in result.waivers}
    findings = [
        _result(r, rules.get(r.rule_id), services.get(r.service), base, result, waivers)
        for r in result.results
        if r.status in (Status.FAIL, Status.ERROR, Status.WAIVED)
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "Rempart",
            "version": result.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(rule, catalogue) for rule in result.rules],
        }},
        "invocations": [_invocation(result)],
        "originalUriBaseIds": {SRCROOT: {"uri": _dir_uri(base)}},
        "automationDetails": {"id": f"rempart/{slug(result.inventory.contract.customer)}/"},
        "columnKind": "unicodeCodePoints",
        "results": findings,
        # rules with no failure are not results; the statement of applicability says what
        # this run covered, per requirement and Annex A control
        "properties": {"rempart/verdict": scan_verdict(result).value,
                       "rempart/coverage": coverage_summary(result).model_dump(mode="json")},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# ---- rules --------------------------------------------------------------------------------

def _rule(rule: RuleInfo, catalogue: dict[str, str]) -> dict[str, Any]:
    title = rule.title["en"]
    properties: dict[str, Any] = {"tags": rule_tags(rule), "precision": "very-high"}
    if (score := security_severity(rule.severity)) is not None:
        properties["security-severity"] = score
    properties["rempart/pack"] = rule.pack
    properties["rempart/severity"] = rule.severity.value
    text, markdown = _help(rule, catalogue)
    return {
        "id": rule.id,
        "name": pascal_case(title) or pascal_case(rule.id),
        "shortDescription": {"text": clip(title, MAX_DESCRIPTION)},
        "fullDescription": {"text": clip(rule.rationale["en"], MAX_DESCRIPTION)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": sarif_level(rule.severity)},
        "properties": properties,
    }


def rule_tags(rule: RuleInfo) -> list[str]:
    tags = ["security", "compliance"]
    tags += [f"{fw}/{ctl}" for fw, ctls in sorted(rule.controls.items()) for ctl in ctls]
    tags += list(rule.requirements)
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def requirement_catalogue(packs: tuple[PackInfo, ...]) -> dict[str, str]:
    """Requirement ID -> English text and source, from every loaded pack (rules cite across)."""
    catalogue: dict[str, str] = {}
    for pack in packs:
        sources = {s.id: ", ".join(p for p in (s.title, s.issuer, s.date) if p)
                   for s in pack.sources}
        for req in pack.requirements:
            section = f", section \"{req.section}\"" if req.section else ""
            where = (f" ({req.source}: {sources[req.source]}{section})" if req.source in sources
                     else "")
            catalogue.setdefault(req.id, req.text["en"] + where)
    return catalogue


def _help(rule: RuleInfo, catalogue: dict[str, str]) -> tuple[str, str]:
    req_lines = [(rid, catalogue.get(rid, "")) for rid in rule.requirements]
    controls = [f"{fw} {', '.join(ctls) or '(none applies)'}"
                for fw, ctls in sorted(rule.controls.items())]
    text = [rule.remediation["en"], "", "Requirements:"]
    text += [f"- {rid}: {desc}" if desc else f"- {rid}" for rid, desc in req_lines]
    md = ["## Remediation", _md(rule.remediation["en"]), "", "## Requirements"]
    md += [f"- **{_md(rid)}**: {_md(desc)}" if desc else f"- **{_md(rid)}**"
           for rid, desc in req_lines]
    if controls:
        text.append("Controls: " + "; ".join(controls))
        md += ["", "## Controls"] + [f"- {_md(c)}" for c in controls]
    if rule.references:
        text.append("References: " + " ".join(rule.references))
        md += ["", "## References"] + [f"- <{ref}>" for ref in rule.references]
    return "\n".join(text), "\n".join(md)


def pascal_case(text: str) -> str:
    """`SSL 2.0 and SSL 3.0 are refused` -> `SSL20AndSSL30AreRefused` (max 255 chars)."""
    words = re.findall(r"[A-Za-z0-9]+", _ascii(text))
    return "".join(w[0].upper() + w[1:] for w in words)[:255]


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


# ---- results ------------------------------------------------------------------------------

def _clipped(data: Any) -> Any:
    """Strings of the evidence clipped to MAX_EVIDENCE characters (server text can be huge)."""
    if isinstance(data, str):
        return clip(data, MAX_EVIDENCE)
    if isinstance(data, dict):
        return {k: _clipped(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_clipped(v) for v in data]
    return data


def _result(rr: RuleResult, rule: tuple[int, RuleInfo] | None, service: Subject | None,
            base: str, result: ScanResult, waivers: dict[str, WaiverRecord]
            ) -> dict[str, Any]:
    endpoint = service.endpoint if service else rr.service
    severity = rule[1].severity if rule else Severity.MEDIUM  # unknown rule: an engine bug
    failed = rr.status in (Status.FAIL, Status.WAIVED)  # a waived failure is still a failure
    out: dict[str, Any] = {"ruleId": rr.rule_id}
    if rule:
        out["ruleIndex"] = rule[0]
    out["kind"] = "fail" if failed else "open"
    out["level"] = sarif_level(severity) if failed else "none"
    out["message"] = {"text": _message(rr, endpoint, result)}
    out["locations"] = [_location(service, rr.service, endpoint, base)]
    digest = fingerprint(rr.rule_id, rr.service)
    if rr.waiver in waivers:
        out["suppressions"] = [suppression(waivers[rr.waiver])]
    out["partialFingerprints"] = {
        "rempart/v1": digest,
        "primaryLocationLineHash": f"{digest[:16]}:1",
    }
    out["properties"] = {
        "status": rr.status.value,
        "severity": severity.value,
        "service": rr.service,
        "message": rr.message.model_dump(mode="json", exclude_defaults=True),
        "evidence": [_clipped(ev.model_dump(mode="json", exclude_defaults=True))
                     for ev in rr.evidence],
    }
    return out


def fingerprint(rule_id: str, service_key: str) -> str:
    """Stable identity of a finding across scans: sha256 hex of rule id and service key."""
    return hashlib.sha256(f"{rule_id}\n{service_key}".encode()).hexdigest()


def _message(rr: RuleResult, endpoint: str, result: ScanResult) -> str:
    """`endpoint: message; fact: expected …; found …; reason`, then `Evidence: …` (English)."""
    words = Wording("en")
    parts = [f"{endpoint}: {words.summary(rr, result).rstrip('.')}."]
    parts += [f"Evidence: {d.rstrip('.')}." for ev in rr.evidence for d in words.decisive(ev)]
    return clip(clean(" ".join(parts)), MAX_MESSAGE)


def _location(service: Subject | None, key: str, endpoint: str, base: str) -> dict[str, Any]:
    where = service.location if service else None
    file, line, column = (where.file, where.line, where.column) if where else (TARGETS_FILE, 1, 1)
    artifact = artifact_location(file, base)
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(1, line), "startColumn": max(1, column)},
        },
        "logicalLocations": [{"name": endpoint, "fullyQualifiedName": key, "kind": "resource"}],
    }


def artifact_location(file: str, base_dir: str | Path) -> dict[str, str]:
    """A relative POSIX URI under %SRCROOT% when `file` is inside `base_dir`, else a `file:` URI.

    Relative paths in the result are read against the current directory, as the CLI wrote them.
    """
    base = os.path.abspath(base_dir)
    path = os.path.abspath(file)
    rel = os.path.relpath(path, base)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return {"uri": Path(path).as_uri()}
    posix = PurePosixPath(*Path(rel).parts).as_posix()
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _dir_uri(base: str) -> str:
    uri = Path(base).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _invocation(result: ScanResult) -> dict[str, Any]:
    counts = {status.value: n for status, n in count_by_status(result.results).items()}
    invocation: dict[str, Any] = {
        "executionSuccessful": not result.interrupted,  # stopped by a signal: incomplete
        "startTimeUtc": _utc(result.started_at),
        "endTimeUtc": _utc(result.finished_at),
        "properties": {"counts": counts},
    }
    policy_invocation(result, invocation)
    return invocation


def suppression(w: WaiverRecord) -> dict[str, Any]:
    """SARIF §3.35: the waiver as an accepted external suppression, with its justification."""
    out: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": clip(clean(w.justification), MAX_MESSAGE),
        "properties": {"waiver": w.id, "approver": w.approver, "start": w.start.isoformat(),
                       "expires": w.expires.isoformat(), "risk": w.risk.value},
    }
    if w.location:  # the line of the waiver file that declares it
        out["location"] = {"physicalLocation": {
            "artifactLocation": {"uri": Path(os.path.abspath(w.location.file)).as_uri()},
            "region": {"startLine": w.location.line}}}
    return out


def policy_invocation(result: ScanResult, invocation: dict[str, Any]) -> None:
    """Excluded rules as rule configuration overrides (enabled: false, with the reason);
    expired, pending and stale waivers as warnings; counts before waivers."""
    if result.exclusions:
        invocation["ruleConfigurationOverrides"] = [
            {"descriptor": {"id": ex.rule_id},
             "configuration": {"enabled": False},
             "properties": {"excludedBy": ex.by, "reason": ex.reason}}
            for ex in result.exclusions]
    notes = [{"level": "warning", "message": {"text": clean(
        f"waiver {w.id} ({w.rule_id}, approved by {w.approver}) is {w.state.value}: "
        + _WAIVER_NOTE[w.state].format(expires=w.expires, start=w.start))},
        "descriptor": {"id": f"rempart/waiver-{w.state.value}"},
        "properties": {"waiver": w.id, "state": w.state.value}}
        for w in result.waivers if w.state is not WaiverState.ACTIVE]
    if notes:
        invocation["toolConfigurationNotifications"] = notes
    if result.waivers:
        before = {s.value: n for s, n in waiver_counts(result.results).before.items()}
        invocation["properties"]["countsBeforeWaivers"] = before


_WAIVER_NOTE = {
    WaiverState.EXPIRED: "it expired on {expires} and no longer applies",
    WaiverState.PENDING: "it starts on {start} and does not apply yet",
    WaiverState.STALE: "it matches no failure (fixed, or wrong rule or hosts); remove it",
    WaiverState.ACTIVE: "",
}


# ---- text helpers -------------------------------------------------------------------------

def clean(text: str) -> str:
    """Control characters (C0, DEL, C1) become spaces; runs of spaces shrink to one."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def clip(text: str, limit: int, note: str = "… [clipped, {n} characters in all]") -> str:
    """At most `limit` characters; a clipped text ends with its original length (`note`,
    where `{n}` is that length)."""
    if len(text) <= limit:
        return text
    note = note.format(n=len(text))
    return text[: max(0, limit - len(note))] + note


def slug(text: str) -> str:
    """`Clinique Exemple` -> `clinique-exemple`; `scan` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-") or "scan"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _utc(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")
