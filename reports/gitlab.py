"""GitLab code-quality report (a subset of the Code Climate spec): one issue per failed,
unchecked or waived rule and service, plus one per excluded rule.

GitLab shows these in merge requests; it has no notion of suppression, so a waived failure is
an `info` issue that names its waiver, and an excluded rule an `info` issue at the inventory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports.levels import gitlab_severity
from reports.sarif import TARGETS_FILE, artifact_location, clean, clip, fingerprint
from reports.wording import Wording
from scanner.models import ScanResult, Status, Subject

MAX_DESCRIPTION = 1000


def render_gitlab(result: ScanResult, *, base_dir: Path) -> str:
    return json.dumps(gitlab_issues(result, base_dir=base_dir), indent=2,
                      ensure_ascii=False) + "\n"


def gitlab_issues(result: ScanResult, *, base_dir: Path) -> list[dict[str, Any]]:
    rules = {r.id: r for r in result.rules}
    services = {s.service.key: s.service for s in result.services}
    waivers = {w.id: w for w in result.waivers}
    issues: list[dict[str, Any]] = []
    for rr in result.results:
        if rr.status not in (Status.FAIL, Status.ERROR, Status.WAIVED):
            continue
        rule = rules.get(rr.rule_id)
        severity = gitlab_severity(rule.severity if rule else None, rr.status)
        svc = services.get(rr.service)
        text = f"{svc.endpoint if svc else rr.service}: {Wording('en').summary(rr, result)}"
        if rr.status is Status.WAIVED:
            w = waivers.get(rr.waiver or "")
            text += (f" [waived by {w.id}, approved by {w.approver}, expires {w.expires}]"
                     if w else f" [waived by {rr.waiver}]")
        issues.append({
            "type": "issue",
            "check_name": rr.rule_id,
            "description": clip(clean(text), MAX_DESCRIPTION),
            "categories": ["Security"],
            "severity": severity,
            "fingerprint": fingerprint(rr.rule_id, rr.service),
            "location": _location(svc, base_dir),
        })
    inventory = result.inventory.path or TARGETS_FILE
    for ex in result.exclusions:
        issues.append({
            "type": "issue",
            "check_name": f"excluded/{ex.rule_id}",
            "description": clip(clean(f"rule {ex.rule_id} excluded from the scan ({ex.by})"
                                      + (f": {ex.reason}" if ex.reason else "")),
                                MAX_DESCRIPTION),
            "categories": ["Security"],
            "severity": "info",
            "fingerprint": fingerprint(ex.rule_id, "excluded"),
            "location": {"path": _relative(ex.location.file if ex.location else inventory,
                                           base_dir),
                         "lines": {"begin": ex.location.line if ex.location else 1}},
        })
    return issues


def _location(svc: Subject | None, base_dir: Path) -> dict[str, Any]:
    where = svc.location if svc else None
    path = where.file if where else TARGETS_FILE
    return {"path": _relative(path, base_dir), "lines": {"begin": max(1, where.line if where
                                                                       else 1)}}


def _relative(file: str, base_dir: Path) -> str:
    """GitLab wants a path relative to the repository; outside it, the bare file name."""
    uri = artifact_location(file, base_dir)
    return uri["uri"] if "uriBaseId" in uri else Path(file).name
