"""The JSON result: the one file every other report is re-rendered from.

`render_json` writes a ScanResult as pretty JSON with sorted keys (stable diffs between scans);
`load_json` reads it back, validated against the model. `reports/schema/result.schema.json` is
the committed JSON Schema of that file; regenerate it with

    python -m reports.json_report --schema > reports/schema/result.schema.json
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from typing import Any

import pydantic_core
from pydantic import ValidationError

from reports.coverage import CoverageSummary, coverage_summary
from reports.upgrade_v3 import v2_to_v3
from scanner.models import ScanResult

COVERAGE_KEY = "coverage"

_MAX_LISTED_ERRORS = 5


class ResultLoadError(ValueError):
    """The text is not a valid Rempart scan result."""


_last_rendered: tuple[ScanResult, str] | None = None


def render_json(result: ScanResult) -> str:
    """The result as indented JSON, keys sorted, non-ASCII kept, ending with a newline, with
    the derived coverage summary (statement of applicability) under `coverage`."""
    global _last_rendered
    last = _last_rendered
    if last is not None and last[0] is result:  # a scan stores this text and writes it (--json):
        return last[1]  # rendered once (results are frozen; ~0.03 s for 40 services)
    data = result.model_dump(mode="json")
    data[COVERAGE_KEY] = coverage_summary(result).model_dump(mode="json")
    text = _dumps(data) + "\n"
    _last_rendered = (result, text)
    return text


def _dumps(data: Any) -> str:
    """`json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)`, byte for byte, written
    by pydantic-core's serialiser (json's indenting encoder is pure Python: twice as slow on a
    large result). The two write floats alike except under 1e-4 (`1e-05`) and non-finite
    ones: data holding such a float takes json's path."""
    try:
        ordered = _sorted(data)
    except _UnlikeFloat:
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return pydantic_core.to_json(ordered, indent=2).decode()


class _UnlikeFloat(Exception):
    pass


def _sorted(item: Any) -> Any:
    """`item` with every object's keys sorted."""
    kind = type(item)
    if kind is dict:
        return {k: _sorted(item[k]) for k in sorted(item)}
    if kind is list:
        return [_sorted(v) for v in item]
    if kind is float and item != 0 and not 1e-4 <= abs(item) < math.inf:
        raise _UnlikeFloat
    return item


def load_json(text: str | bytes) -> ScanResult:
    """Parse and validate a result written by `render_json`; raise ResultLoadError if invalid.
    Older schema versions are upgraded first (`upgrade`). The `coverage` summary is derived:
    it is dropped here and computed again from the result by whoever needs it."""
    with contextlib.suppress(ValueError, RecursionError):  # the validation below says why
        text = json.dumps(_without_derived(upgrade(json.loads(text))))
    try:
        # JSON mode: values such as dates are read as the JSON file writes them
        result = ScanResult.model_validate_json(text)
    except ValidationError as exc:
        raise ResultLoadError(_describe(exc)) from exc
    _check_references(result)
    return result


def _check_references(result: ScanResult) -> None:
    """Every result names a rule and a subject the file defines (reports look them up)."""
    rules = {r.id for r in result.rules}
    subjects = {s.service.key for s in result.services}
    problems = [f"  results[{i}].rule_id: rule {r.rule_id} is not among the result's rules"
                for i, r in enumerate(result.results) if r.rule_id not in rules]
    problems += [f"  results[{i}].service: {r.service} is not among the result's services"
                 for i, r in enumerate(result.results) if r.service not in subjects]
    if problems:
        more = len(problems) - _MAX_LISTED_ERRORS
        raise ResultLoadError("\n".join(
            [f"not a consistent Rempart scan result ({len(problems)} problem(s)):",
             *problems[:_MAX_LISTED_ERRORS]] + ([f"  ... and {more} more"] if more > 0 else [])))


def _without_derived(data: Any) -> Any:
    if isinstance(data, dict) and COVERAGE_KEY in data:
        return {k: v for k, v in data.items() if k != COVERAGE_KEY}
    return data


def upgrade(data: Any) -> Any:
    """Bring an older result to the current schema version. "1" -> "2": results' English
    sentences become legacy text; every other change is additive with defaults (new subject
    kinds ssh and inside, inventory.ssh_access, failure categories). "2" -> "3": each kind of
    subject becomes its own typed record (reports/upgrade_v3.py). Facts' summaries were English
    text before they had message keys (schemas 1 to 3): a text summary becomes `{"text": ...}`."""
    if isinstance(data, dict) and data.get("schema_version") == "1":
        data = _v1_to_v2(data)
    if isinstance(data, dict) and data.get("schema_version") == "2":
        data = v2_to_v3(data)
    if isinstance(data, dict):
        data = _text_summaries(data)
    return data


def _text_summaries(data: dict[str, Any]) -> dict[str, Any]:
    """Facts' summaries were English text (schemas 1 to 3 before message keys); they became
    phrases with message keys: a text summary is kept, as `text`."""
    if not isinstance(data.get("services"), list):
        return data  # the validation says what is wrong
    services = []
    for report in data.get("services") or []:
        if isinstance(report, dict) and isinstance(report.get("facts"), list):
            report = {**report, "facts": [
                {**f, "summary": {"text": f["summary"]}}
                if isinstance(f, dict) and isinstance(f.get("summary"), str) else f
                for f in report["facts"]]}
        services.append(report)
    return {**data, "services": services}


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 recorded no failure category (its errors become `unspecified`) and wrote
    results as English sentences (kept, as legacy text)."""
    services = []
    for report in data.get("services") or []:
        if isinstance(report, dict):
            report = {**report,
                      "facts": [_with_category(f) for f in report.get("facts") or []],
                      "probes": [_with_category(r) for r in report.get("probes") or []]}
        services.append(report)
    results = [_v1_result(r) for r in data.get("results") or []]
    return {**data, "schema_version": "2", "services": services, "results": results}


def _with_category(item: Any) -> Any:
    if isinstance(item, dict) and item.get("status") == "error" and "category" not in item:
        return {**item, "category": "unspecified"}
    return item


def _v1_result(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("message"), str):
        return item
    evidence = [
        {"fact": e.get("fact", ""),
         "legacy": [e.get("expected", ""), e.get("actual", ""), e.get("detail", "")]}
        if isinstance(e, dict) else e for e in item.get("evidence") or []]
    return {**item, "message": {"key": "legacy", "text": item["message"]}, "evidence": evidence}


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    lines = [f"not a valid Rempart scan result ({len(errors)} problem(s)):"]
    for err in errors[:_MAX_LISTED_ERRORS]:
        where = ".".join(str(part) for part in err["loc"]) or "(document)"
        lines.append(f"  {where}: {err['msg']}")
    if len(errors) > _MAX_LISTED_ERRORS:
        lines.append(f"  ... and {len(errors) - _MAX_LISTED_ERRORS} more")
    return "\n".join(lines)


def result_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the result file, generated from the model."""
    schema = ScanResult.model_json_schema()
    summary = CoverageSummary.model_json_schema(ref_template="#/$defs/{model}")
    schema.setdefault("$defs", {}).update(summary.pop("$defs", {}))
    schema["$defs"]["CoverageSummary"] = summary
    schema["properties"][COVERAGE_KEY] = {"$ref": "#/$defs/CoverageSummary", "readOnly": True}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_schema() -> str:
    """`result_schema()` as the text committed in reports/schema/result.schema.json."""
    return json.dumps(result_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if argv != ["--schema"]:
        print("usage: python -m reports.json_report --schema", file=sys.stderr)
        return 2
    sys.stdout.write(render_schema())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
