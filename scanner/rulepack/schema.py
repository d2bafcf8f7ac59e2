"""The rule-pack JSON Schema's vocabularies, generated from their one source each.

`rules/schema/rulepack.schema.json` is committed (the loader reads it); its operator properties
(from `scanner.rulepack.operators.OPERATORS`), severities (`Severity`) and subject protocols
(`ServiceProtocol`) are written by this module, the rest of the document by hand. A test checks
that the committed file is what this module writes; after changing a vocabulary, run

    python -m scanner.rulepack.schema > rules/schema/rulepack.schema.json
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from typing import Any

from scanner.models import ServiceProtocol, Severity
from scanner.rulepack.operators import OPERATORS, OperandShape

_COMBINATORS = {
    "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"},
            "description": "every condition holds"},
    "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"},
            "description": "at least one condition holds"},
    "fact": {"type": "string", "minLength": 1, "description": "the fact the operator judges"},
    "except": {"$ref": "#/$defs/value",
               "description": "set facts: values ignored before comparing"},
}


def condition_properties() -> dict[str, Any]:
    """`all`, `any`, `fact`, `except`, then one property per operator of the table."""
    props: dict[str, Any] = dict(_COMBINATORS)
    for op in OPERATORS.values():
        if op.operand is OperandShape.FLAG:
            props[op.name] = {"type": "boolean", "description": op.description}
        else:
            props[op.name] = {"$ref": "#/$defs/value", "description": op.description}
    return props


def generated(base: dict[str, Any]) -> dict[str, Any]:
    """`base` (the committed schema) with its generated vocabularies rewritten."""
    defs = dict(base["$defs"])
    defs["severity"] = {"enum": [s.value for s in Severity]}
    defs["protocol"] = {"enum": [p.value for p in ServiceProtocol]}
    defs["condition"] = {**defs["condition"], "properties": condition_properties()}
    return {**base, "$defs": defs}


def committed_text() -> str:
    return resources.files("rules").joinpath("schema/rulepack.schema.json").read_text("utf-8")


def render(base: dict[str, Any]) -> str:
    return json.dumps(generated(base), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if argv:
        print("usage: python -m scanner.rulepack.schema > rules/schema/rulepack.schema.json",
              file=sys.stderr)
        return 2
    sys.stdout.write(render(json.loads(committed_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
