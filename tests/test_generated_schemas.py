"""The committed input schemas are the ones generated from their typed models."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from scanner import inventory_model
from scanner.rulepack import schema as pack_schema

CASES = [
    ("rules", "schema/rulepack.schema.json", pack_schema.generated_schema,
     "python -m scanner.rulepack.schema > rules/schema/rulepack.schema.json"),
    ("scanner", "schema/inventory.schema.json", inventory_model.generated_schema,
     "python -m scanner.inventory_model > scanner/schema/inventory.schema.json"),
]


@pytest.mark.parametrize(("package", "path", "generate", "command"), CASES,
                         ids=[c[1] for c in CASES])
def test_committed_schema_is_the_generated_one(
        package: str, path: str, generate: Callable[[], dict[str, Any]], command: str) -> None:
    committed = json.loads(resources.files(package).joinpath(path).read_text("utf-8"))
    assert committed == generate(), f"{package}/{path} is stale; regenerate: {command}"


def test_generated_schemas_keep_the_loaders_vocabulary() -> None:
    """The tidy step keeps what the loaders' messages rely on: no pydantic titles or `type`
    beside an enum, `required` before `additionalProperties`, shared defs referenced."""
    pack = pack_schema.generated_schema()
    rule = pack["properties"]["rules"]["items"]
    assert rule["properties"]["severity"] == {"enum": ["critical", "high", "medium", "low",
                                                      "info"]}
    assert rule["properties"]["check"] == {"$ref": "#/$defs/condition"}
    assert list(rule)[:3] == ["type", "required", "additionalProperties"]
    assert rule["properties"]["title"]["description"].startswith("a string, or a mapping")
    host = inventory_model.generated_schema()["properties"]["hosts"]["items"]
    assert "title" not in host and host["additionalProperties"] is False
    assert host["properties"]["name"]["description"] == (
        "letters, digits, dots, dashes and underscores")
