"""YAML documents that remember where each value was written, and errors that say so.

Used by the rule-pack and inventory loaders: a bad document is refused with
`file:line:column: field: what was expected`.

Parsing is bounded whatever the input: libyaml's C parser (via PyYAML) produces events in linear
time and this module builds plain JSON-like values from them, refusing anchors and aliases
(a "billion laughs" bomb expands exponentially), explicit tags, nesting deeper than MAX_DEPTH
and more than MAX_NODES nodes. Scalars follow the YAML 1.2 core schema; dates stay strings
(the loaders check them, with their field and line). The pure-Python round-trip parser used
before spent ~25-50 µs per token (a 1 MiB flow list: tens of seconds); see bench/yaml_bench.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from scanner.limits import MAX_YAML_BYTES, describe, read_bounded
from scanner.models import SourceLocation

if TYPE_CHECKING:  # imported when a document is validated, not when the CLI starts
    import jsonschema

Path_ = tuple[str | int, ...]
MAX_NODES = 200_000  # a 1,000-host inventory is ~20,000
MAX_DEPTH = 64
MAX_SCHEMA_ERRORS = 200  # the first one in document order is reported


class SourceError(Exception):
    """An input file is wrong at a known place. `str()` is the user-facing message."""

    def __init__(self, file: str, line: int, column: int, field: str, message: str) -> None:
        self.file, self.line, self.column = file, line, column
        self.field, self.message = field, message
        super().__init__(f"{file}:{line}:{column}: {field}: {message}")


Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: `data` holds plain JSON-like values; positions are 1-based."""

    file: str
    data: Any
    text: bytes
    values: Mapping[Path_, Position]
    keys: Mapping[Path_, Position]

    def where(self, path: Path_, *, key: bool = False) -> SourceLocation:
        line, col = self._position(path, key)
        return SourceLocation(file=self.file, line=line, column=col)

    def error(self, path: Path_, message: str, *, key: bool = False) -> SourceError:
        loc = self.where(path, key=key)
        return SourceError(self.file, loc.line, loc.column, field_name(path), message)

    def _position(self, path: Path_, key: bool) -> Position:
        """Of the value (or key) at `path`, or of its nearest declared parent."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return 1, 1


def field_name(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def load_document(file: str, text: bytes) -> Document:
    if len(text) > MAX_YAML_BYTES:
        raise SourceError(file, 1, 1, "(file)", f"{len(text)} bytes; Rempart reads at most "
                          f"{MAX_YAML_BYTES // (1024 * 1024)} MiB of YAML")
    builder = _Builder(file)
    loader = _LOADER(text)
    try:
        while loader.check_event():
            builder.feed(loader.get_event())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SourceError(file, line, col, "(yaml)", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:  # reader errors: bad encoding, control characters
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        raise SourceError(file, 1, 1, "(yaml)", f"invalid YAML: {reason}") from None
    finally:
        loader.dispose()
    if builder.root is None:
        raise SourceError(file, 1, 1, "(document)", "the file is empty; expected a mapping")
    return Document(file=file, data=builder.root, text=text, values=builder.values,
                    keys=builder.keys)


def read_document(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        text = read_bounded(path, MAX_YAML_BYTES)
    except OSError as exc:
        raise SourceError(name, 1, 1, "(file)", f"cannot read: {describe(exc)}") from None
    return load_document(name, text)


# libyaml when PyYAML was built with it (its wheels are); the pure-Python parser otherwise
_LOADER: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution); PyYAML's resolver is
# YAML 1.1 (yes/no booleans, sexagesimal numbers, dates), hence these four lines.
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
         "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_STR_TAGS = ("!", "tag:yaml.org,2002:str")


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    path: Path_
    key: str | None = None  # a mapping's key waiting for its value
    key_mark: Position = (1, 1)


class _Builder:
    """Plain values and their positions from parser events, refusing what is not plain data."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.root: Any = None
        self.values: dict[Path_, Position] = {}
        self.keys: dict[Path_, Position] = {}
        self.stack: list[_Frame] = []
        self.nodes = 0
        self.documents = 0

    def fail(self, mark: Any, path: Path_, message: str) -> SourceError:
        return SourceError(self.file, mark.line + 1, mark.column + 1, field_name(path), message)

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(event.start_mark, (), "expected a single YAML document; "
                                "found a second one ('---')")
        elif isinstance(event, yaml.AliasEvent):
            raise self.fail(event.start_mark, self._next_path(),
                            f"aliases (*{event.anchor}) are not supported; write the value out")
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            self._node(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            frame = self.stack.pop()
            if isinstance(frame.container, dict) and frame.key is not None:
                raise self.fail(event.start_mark, frame.path, "a key without a value")
            self._place(frame.container, event)

    def _next_path(self) -> Path_:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        return (*top.path, top.key) if top.key is not None else top.path

    def _node(self, event: yaml.ScalarEvent | yaml.CollectionStartEvent) -> None:
        path = self._next_path()
        mark: Any = event.start_mark
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(mark, path, f"more than {MAX_NODES} values; Rempart reads at most "
                            f"{MAX_NODES} per file")
        if event.anchor is not None:
            raise self.fail(mark, path, f"anchors (&{event.anchor}) are not supported; "
                            "write the value out")
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.container, dict) and top.key is None:
            if not isinstance(event, yaml.ScalarEvent):
                raise self.fail(mark, top.path, "expected a plain key; got a mapping or a list")
            if event.value in top.container:
                first = self.keys[(*top.path, event.value)]
                raise self.fail(mark, (*top.path, event.value), f"duplicate key "
                                f"'{event.value}' (first at line {first[0]})")
            top.key, top.key_mark = event.value, (mark.line + 1, mark.column + 1)
            return
        self.values[path] = (mark.line + 1, mark.column + 1)
        if isinstance(event, yaml.ScalarEvent):
            self._place(self._scalar(event, path), event)
            return
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(mark, path, f"nested deeper than {MAX_DEPTH} levels")
        tag = event.tag
        if isinstance(event, yaml.MappingStartEvent):
            if tag not in (None, "!", "tag:yaml.org,2002:map"):
                raise self.fail(mark, path, f"explicit tags ({tag}) are not supported")
            self.stack.append(_Frame({}, path))
        else:
            if tag not in (None, "!", "tag:yaml.org,2002:seq"):
                raise self.fail(mark, path, f"explicit tags ({tag}) are not supported")
            self.stack.append(_Frame([], path))

    def _scalar(self, event: yaml.ScalarEvent, path: Path_) -> Any:
        value: str = event.value
        if event.tag is not None and event.tag not in _STR_TAGS:
            raise self.fail(event.start_mark, path, f"explicit tags ({event.tag}) are not "
                            "supported")
        if event.tag is not None or not event.implicit[0]:  # !!str, quoted or block
            return value
        if _NULL.fullmatch(value):
            return None
        if value in _BOOL:
            return _BOOL[value]
        if _INT.fullmatch(value):
            if len(value) > 40:
                raise self.fail(event.start_mark, path, "a number of more than 40 digits")
            return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
        if _FLOAT.fullmatch(value):
            return float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
        return value

    def _place(self, value: Any, event: yaml.Event) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        assert top.key is not None
        top.container[top.key] = value
        self.keys[(*top.path, top.key)] = top.key_mark
        top.key = None


def validate_schema(doc: Document, schema: Mapping[str, Any]) -> None:
    """Raise a SourceError for the first schema violation, in document order."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = list(itertools.islice(validator.iter_errors(doc.data), MAX_SCHEMA_ERRORS))
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
