"""YAML documents that remember where each value was written, and errors that say so.

Used by the rule-pack and inventory loaders: a bad document is refused with
`file:line:column: field: what was expected`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from scanner.models import SourceLocation

Path_ = tuple[str | int, ...]


class SourceError(Exception):
    """An input file is wrong at a known place. `str()` is the user-facing message."""

    def __init__(self, file: str, line: int, column: int, field: str, message: str) -> None:
        self.file, self.line, self.column = file, line, column
        self.field, self.message = field, message
        super().__init__(f"{file}:{line}:{column}: {field}: {message}")


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: `data` holds plain JSON-like values; `root` keeps positions."""

    file: str
    root: Any
    data: Any
    text: bytes

    def where(self, path: Path_, *, key: bool = False) -> SourceLocation:
        line, col = _position(self.root, path, key)
        return SourceLocation(file=self.file, line=line, column=col)

    def error(self, path: Path_, message: str, *, key: bool = False) -> SourceError:
        loc = self.where(path, key=key)
        return SourceError(self.file, loc.line, loc.column, field_name(path), message)


def field_name(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def load_document(file: str, text: bytes) -> Document:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SourceError(file, line, col, "(yaml)", f"invalid YAML: {problem}") from None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. bad encoding)
        raise SourceError(file, 1, 1, "(yaml)", f"invalid YAML: {exc}") from None
    if root is None:
        raise SourceError(file, 1, 1, "(document)", "the file is empty; expected a mapping")
    return Document(file=file, root=root, data=_plain(root), text=text)


def read_document(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SourceError(name, 1, 1, "(file)", f"cannot read: {exc.strerror or exc}") from None
    return load_document(name, text)


def _plain(node: Any) -> Any:
    """Convert ruamel nodes to JSON-like values (dates become ISO strings)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, dt.datetime | dt.date):
        return node.isoformat()
    if isinstance(node, bool | int | float | str) or node is None:
        return node if not isinstance(node, str) else str(node)
    return str(node)


def _position(root: Any, path: Path_, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of the value (or key) at `path`, or of its nearest parent."""
    node, line, col = root, 1, 1
    if hasattr(root, "lc"):
        line, col = root.lc.line + 1, root.lc.col + 1
    for i, part in enumerate(path):
        if isinstance(node, CommentedMap) and part in node:
            last_key = key and i == len(path) - 1
            vline, vcol = node.lc.key(part) if last_key else node.lc.value(part)
            line, col = vline + 1, vcol + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            iline, icol = node.lc.item(part)
            line, col = iline + 1, icol + 1
            node = node[part]
        else:
            break
    return line, col


def validate_schema(doc: Document, schema: Mapping[str, Any]) -> None:
    """Raise a SourceError for the first schema violation, in document order."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(doc.data))
    if not errors:
        return
    errors.sort(key=lambda e: (doc.where(tuple(e.absolute_path)).line, -len(e.absolute_path)))
    raise _to_source_error(doc, _most_specific(errors[0]))


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf failures, report the branch error that went deepest."""
    if error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _most_specific(deepest)
    return error


def _to_source_error(doc: Document, error: jsonschema.ValidationError) -> SourceError:
    path: Path_ = tuple(error.absolute_path)
    kind, arg = error.validator, cast(Any, error.validator_value)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "required":
        missing = [k for k in arg if isinstance(error.instance, dict) and k not in error.instance]
        return doc.error(path, f"missing required field '{missing[0] if missing else arg}'")
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else "?"
        return doc.error((*path, key), f"unknown field '{key}'; expected one of: {_join(allowed)}",
                         key=True)
    if kind == "enum":
        return doc.error(path, f"expected one of: {_join(arg)}; got {_show(error.instance)}")
    if kind == "const":
        return doc.error(path, f"expected {_show(arg)}; got {_show(error.instance)}")
    if kind == "type":
        return doc.error(path, f"expected {_type_name(arg)}; got {_show(error.instance)}")
    if kind == "pattern":
        hint = schema.get("description") or f"text matching {arg}"
        return doc.error(path, f"expected {hint}; got {_show(error.instance)}")
    if kind in ("minItems", "minLength"):
        return doc.error(path, f"expected at least {arg} item(s); got {_show(error.instance)}")
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return doc.error(path, f"expected a number {word} {arg}; got {_show(error.instance)}")
    if kind in ("oneOf", "anyOf"):
        hint = schema.get("description") or "a value of another form"
        return doc.error(path, f"expected {hint}; got {_show(error.instance)}")
    if kind == "uniqueItems":
        return doc.error(path, f"expected unique items; got {_show(error.instance)}")
    return doc.error(path, error.message)


def _type_name(t: str | Sequence[str]) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "a string",
             "integer": "an integer", "number": "a number", "boolean": "true or false",
             "null": "nothing"}
    if isinstance(t, str):
        return names.get(t, t)
    return " or ".join(names.get(x, x) for x in t)


def _join(items: Iterable[Any]) -> str:
    return ", ".join(str(i) for i in items)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}" if value else "an empty list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
