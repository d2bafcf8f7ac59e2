"""JSON Schemas of the YAML inputs, generated from their typed models (pydantic TypedDicts).

pydantic writes a schema with titles, `$ref`s to `$defs` and `"type"` beside enums. `tidy` turns
it into the committed shape the loaders' messages rely on (scanner/yamlsrc.py):
- auto titles dropped, the model's `$ref`s inlined (one readable tree) without the classes'
  docstrings (written for the code's readers; a field's `description` is for the schema's);
- `"type"` dropped beside `enum`/`const` (an out-of-vocabulary value says "expected one of: ...");
- keywords in a fixed order: jsonschema reports errors in keyword order, and "missing required
  field" comes before "unknown field" as it did with the hand-written schemas, except in the
  models marked `UNKNOWN_FIRST` (the weekly sections: operations, waivers), whose hand-written
  schemas said "unknown field" first (a misspelt field is named rather than reported missing).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, WithJsonSchema
from pydantic.config import JsonDict

ROOT = Path(__file__).resolve().parents[1]
# every generated schema: committed file -> "module:function" returning its schema (a dict,
# rendered by `render`) or its text; `make schemas` writes them, a test compares them
SCHEMAS = {
    "scanner/schema/inventory.schema.json": "scanner.inventory_model:generated_schema",
    "rules/schema/rulepack.schema.json": "scanner.rulepack.schema:generated_schema",
    "scanner/schema/waivers.schema.json": "scanner.waivers_model:generated_schema",
    "reports/schema/result.schema.json": "reports.json_report:render_schema",
}

_ORDER = ("$schema", "$id", "title", "description", "type", "const", "enum", "format",
          "pattern", "minLength", "minimum", "maximum", "minItems", "required",
          "additionalProperties", "propertyNames", "minProperties", "properties", "items",
          "anyOf", "oneOf", "$ref", "$defs")
_UNKNOWN_FIRST = "x-rempart-unknown-first"
UNKNOWN_FIRST: JsonDict = {_UNKNOWN_FIRST: True}  # a model's json_schema_extra: see above
_SHARED = "x-rempart-shared"  # pydantic resolves "$ref"s it did not write; this one it leaves
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")  # keyword -> {name: schema}


def generate(model: Any, header: Mapping[str, Any],
             shared: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The tidy JSON Schema of `model`. `shared` holds `$defs` written elsewhere (a recursive
    one, referenced as `#/$defs/<name>`): they stay referenced, the model's own are inlined."""
    raw = TypeAdapter(model).json_schema(ref_template="#/$defs/{model}")
    defs = raw.pop("$defs", {})
    keep = frozenset(shared or {})
    unknown_first = bool(raw.get(_UNKNOWN_FIRST))
    body = _tidy(raw, defs, keep)
    kept = {name: _tidy(sub, defs, keep) for name, sub in (shared or {}).items()}
    body.pop("title", None)
    out = {**header, **body}
    if kept:
        out["$defs"] = kept
    return _ordered(out, unknown_first)


def shared(name: str) -> WithJsonSchema:
    """Annotation for a field whose schema is the shared `$defs/<name>` given to `generate`."""
    return WithJsonSchema({_SHARED: name})


def render(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated_text(path: str) -> str:
    """The text `path` (a key of SCHEMAS) should hold."""
    module, function = SCHEMAS[path].split(":")
    made = getattr(importlib.import_module(module), function)()
    return made if isinstance(made, str) else render(made)


def main(argv: list[str]) -> int:
    """Write every generated schema (`make schemas`); with --check, only list the stale ones."""
    if argv not in ([], ["--check"]):
        print("usage: python -m scanner.schemagen [--check]\n"
              "  rewrites " + ", ".join(SCHEMAS), file=sys.stderr)
        return 2
    stale = [p for p in SCHEMAS if (ROOT / p).read_text("utf-8") != generated_text(p)]
    for path in stale:
        if argv:
            print(f"stale: {path} (run: make schemas)", file=sys.stderr)
        else:
            (ROOT / path).write_text(generated_text(path), "utf-8")
            print(f"wrote {path}")
    return 1 if stale and argv else 0


def _tidy(node: Any, defs: Mapping[str, Any], keep: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_tidy(item, defs, keep) for item in node]
    if not isinstance(node, dict):
        return node
    if _SHARED in node:
        node = {"$ref": f"#/$defs/{node[_SHARED]}",
                **{k: v for k, v in node.items() if k != _SHARED}}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] not in keep:
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        own = {k: v for k, v in defs[ref[8:]].items() if k != "description"}  # class docstrings
        return _tidy({**own, **siblings}, defs, keep)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue  # pydantic's auto titles (a property called "title" is under "properties")
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _tidy(sub, defs, keep) for name, sub in value.items()}
        else:
            out[key] = _tidy(value, defs, keep)
    if ("enum" in out or "const" in out) and isinstance(out.get("type"), str):
        del out["type"]
    return _ordered(out, unknown_first=bool(out.pop(_UNKNOWN_FIRST, False)))


def _ordered(node: dict[str, Any], unknown_first: bool = False) -> dict[str, Any]:
    order = list(_ORDER)
    if unknown_first:
        order.remove("additionalProperties")
        order.insert(order.index("required"), "additionalProperties")
    rank = {k: i for i, k in enumerate(order)}
    return dict(sorted(node.items(), key=lambda kv: rank.get(kv[0], len(order))))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
