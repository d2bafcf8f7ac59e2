"""The committed schemas are the ones generated from their typed models, byte for byte (key
order matters: jsonschema reports errors in keyword order, and the loaders' messages follow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from scanner import inventory_model, schemagen, waivers_model
from scanner.models import Severity
from scanner.rulepack import schema as pack_schema
from scanner.rulepack.operators import OPERATORS


@pytest.mark.parametrize("path", sorted(schemagen.SCHEMAS))
def test_committed_schema_is_the_generated_one(path: str) -> None:
    committed = (schemagen.ROOT / path).read_text("utf-8")
    assert committed == schemagen.generated_text(path), f"{path} is stale; run: make schemas"


def test_check_mode_names_a_stale_schema(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for path in schemagen.SCHEMAS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(schemagen.generated_text(path), "utf-8")
    monkeypatch.setattr(schemagen, "ROOT", tmp_path)
    assert schemagen.main(["--check"]) == 0
    (tmp_path / "scanner/schema/waivers.schema.json").write_text("{}\n", "utf-8")
    assert schemagen.main(["--check"]) == 1
    assert "stale: scanner/schema/waivers.schema.json" in capsys.readouterr().err
    assert schemagen.main([]) == 0  # rewrites it
    assert schemagen.main(["--check"]) == 0
    assert schemagen.main(["--nope"]) == 2


def test_generated_schemas_keep_the_loaders_vocabulary() -> None:
    """The tidy step keeps what the loaders' messages rely on: no pydantic titles or `type`
    beside an enum, `required` before `additionalProperties`, shared defs referenced."""
    pack = pack_schema.generated_schema()
    rule = pack["properties"]["rules"]["items"]
    assert rule["properties"]["severity"] == {"enum": [s.value for s in Severity]}
    assert rule["properties"]["check"] == {"$ref": "#/$defs/condition"}
    assert list(rule)[:3] == ["type", "required", "additionalProperties"]
    assert rule["properties"]["title"]["description"].startswith("a string, or a mapping")
    host = inventory_model.generated_schema()["properties"]["hosts"]["items"]
    assert "title" not in host and host["additionalProperties"] is False
    assert host["properties"]["name"]["description"] == (
        "letters, digits, dots, dashes and underscores")


def test_weekly_sections_name_an_unknown_field_before_a_missing_one() -> None:
    ops = inventory_model.generated_schema()["properties"]["operations"]
    exception = ops["properties"]["go_live_exceptions"]["items"]
    assert list(exception)[:3] == ["type", "additionalProperties", "required"]
    waiver = waivers_model.generated_schema()["properties"]["waivers"]["items"]
    assert list(waiver)[:4] == ["description", "type", "additionalProperties", "required"]
    assert "x-rempart-unknown-first" not in json.dumps(waivers_model.generated_schema())


def test_operator_vocabulary_is_the_operator_table() -> None:
    condition = pack_schema.generated_schema()["$defs"]["condition"]["properties"]
    assert set(condition) == {"all", "any", "fact", "except", *OPERATORS}


def test_remediation_days_are_keyed_by_severity() -> None:
    days = inventory_model.generated_schema()["properties"]["operations"]["properties"][
        "remediation_days"]["properties"]
    assert list(days) == [s.value for s in Severity]
    adapter = TypeAdapter(inventory_model.RemediationDays)
    assert adapter.validate_python({s.value: 1 for s in Severity})
