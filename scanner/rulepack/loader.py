"""Strict loading of rule packs: schema, then meaning; every error names file:line:column."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.facts import GROUP_ALIASES, FactKind
from scanner.limits import MAX_YAML_BYTES, describe, read_bounded
from scanner.models import (
    LocalizedText,
    PackInfo,
    Requirement,
    RuleInfo,
    ServiceProtocol,
    Severity,
    SourceDocument,
)
from scanner.rulepack.model import (
    CONTEXT_REFS,
    DYNAMIC_REFS,
    Check,
    Combined,
    Condition,
    Operand,
    Override,
    Pack,
    Rule,
    facts_of,
)
from scanner.rulepack.operators import OPERATORS, OperandShape, operators_for
from scanner.yamlsrc import Document, Path_, SourceError, load_document, validate_schema

BUILTIN_PACKS = ("catalogue", "saas-baseline", "network-baseline", "ops-performance",
                 "host-baseline", "tls-hardening", "tls-vulnerabilities", "dns-migration")
# the catalogue first: its citations win, and requirements no rule checks still show
DEFAULT_PACKS = ("catalogue", "saas-baseline", "network-baseline", "host-baseline")
_REF = re.compile(r"^\$\{([a-z_.]+)\}$")


@cache
def pack_schema() -> dict[str, Any]:
    text = resources.files("rules").joinpath("schema/rulepack.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_pack(ref: str) -> Pack:
    """Load a built-in pack by name or a pack file by path."""
    if ref in BUILTIN_PACKS:
        text = resources.files("rules").joinpath(f"{ref}.yaml").read_bytes()
        return parse_pack(load_document(f"builtin:{ref}", text), origin=f"builtin:{ref}")
    path = Path(ref)
    if not path.exists():
        known = ", ".join(BUILTIN_PACKS)
        raise SourceError(ref, 1, 1, "(file)",
                          f"no such rule pack file, and not a built-in pack ({known})")
    try:
        text = read_bounded(path, MAX_YAML_BYTES)
    except OSError as exc:
        raise SourceError(ref, 1, 1, "(file)", f"cannot read: {describe(exc)}") from None
    return parse_pack(load_document(ref, text), origin=ref)


def parse_pack(doc: Document, origin: str) -> Pack:
    validate_schema(doc, pack_schema())
    data = doc.data
    sources = {k: SourceDocument(id=k, title=v["title"], issuer=v.get("issuer", ""),
                                 date=v.get("date", ""), reference=v.get("reference", ""))
               for k, v in (data.get("sources") or {}).items()}
    requirements = []
    for req_id, req in (data.get("requirements") or {}).items():
        if req["source"] not in sources:
            raise doc.error(("requirements", req_id, "source"),
                            f"unknown source '{req['source']}'; expected one of: "
                            f"{', '.join(sources) or '(no sources declared)'}")
        requirements.append(Requirement(id=req_id, text=_text(req["text"]), source=req["source"],
                                        section=req.get("section", ""),
                                        quote=req.get("quote", "")))
    info = PackInfo(
        id=data["pack"]["id"], version=data["pack"]["version"],
        title=_text(data["pack"]["title"]), origin=origin,
        sha256=hashlib.sha256(doc.text).hexdigest(),
        sources=tuple(sources.values()), requirements=tuple(requirements),
    )
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data.get("rules") or []):
        if raw["id"] in seen:
            first = doc.where(("rules", seen[raw["id"]], "id"))
            raise doc.error(("rules", i, "id"), f"duplicate rule ID {raw['id']} "
                            f"(first defined at line {first.line})")
        seen[raw["id"]] = i
        rules.append(_parse_rule(doc, ("rules", i), raw, info, set(sources)))
    overrides = tuple(_parse_override(doc, ("overrides", i), raw)
                      for i, raw in enumerate(data.get("overrides") or []))
    return Pack(info=info, rules=tuple(rules), overrides=overrides)


def _text(value: str | dict[str, str]) -> LocalizedText:
    return {"en": value} if isinstance(value, str) else dict(value)


def _parse_rule(doc: Document, at: Path_, raw: dict[str, Any], pack: PackInfo,
                sources: set[str]) -> Rule:
    for i, src in enumerate(raw.get("sources") or []):
        if src not in sources:
            raise doc.error((*at, "sources", i), f"unknown source '{src}'; expected one of: "
                            f"{', '.join(sorted(sources)) or '(no sources declared)'}")
    params = {k: _operand(v) for k, v in (raw.get("params") or {}).items()}
    for name in params:
        if cycle := param_cycle(params, name):
            raise doc.error((*at, "params", name), "parameters refer to each other in a cycle: "
                            + " -> ".join(cycle))
    check = parse_check(doc, (*at, "check"), raw["check"], params)
    when = parse_check(doc, (*at, "when"), raw["when"], params) if "when" in raw else None
    facts = tuple(dict.fromkeys((*facts_of(when), *facts_of(check))))
    from scanner.facts import FACTS  # on use: the catalogue imports every probe module

    applies = raw.get("applies_to") or [
        p.value for p in ServiceProtocol if all(p in FACTS[f].services for f in facts)]
    info = RuleInfo(
        id=raw["id"], pack=pack.id, title=_text(raw["title"]),
        severity=Severity(raw["severity"]), requirements=tuple(raw["requirements"]),
        controls={k: tuple(v) for k, v in (raw.get("controls") or {}).items()},
        sources=tuple(raw.get("sources") or ()),
        applies_to=tuple(ServiceProtocol(p) for p in applies),
        facts=facts,
        rationale=_text(raw["rationale"]), remediation=_text(raw["remediation"]),
        references=tuple(raw.get("references") or ()), location=doc.where(at),
    )
    return Rule(info=info, check=check, when=when, params=params)


def _operand(value: Any) -> Operand:
    return tuple(value) if isinstance(value, list) else value


def parse_check(doc: Document, at: Path_, raw: dict[str, Any],
                params: dict[str, Operand]) -> Check:
    modes = [k for k in ("all", "any") if k in raw]
    if modes:
        if len(raw) != 1:
            raise doc.error(at, f"'{modes[0]}' stands alone; expected no other field beside it")
        mode = modes[0]
        items = tuple(parse_check(doc, (*at, mode, i), item, params)
                      for i, item in enumerate(raw[mode]))
        return Combined(mode="all" if mode == "all" else "any", items=items)
    if "fact" not in raw:
        raise doc.error(at, "expected 'fact' with one operator, or 'all'/'any' with a list")
    fact = raw["fact"]
    from scanner.facts import FACTS

    spec = FACTS.get(fact)
    if spec is None:
        raise doc.error((*at, "fact"), f"unknown fact '{fact}'; expected one of: "
                        f"{', '.join(sorted(FACTS))}")
    ops = [k for k in raw if k not in ("fact", "except")]
    allowed = operators_for(spec.kind)
    if len(ops) != 1:
        raise doc.error(at, f"expected exactly one operator for fact '{fact}' "
                        f"({', '.join(allowed) or 'none: this fact is for reports only'}); "
                        f"got {len(ops)}")
    op = ops[0]
    if op not in allowed:
        raise doc.error((*at, op), f"operator '{op}' does not apply to {spec.kind.value} fact "
                        f"'{fact}'; expected one of: {', '.join(allowed) or '(none)'}")
    operand = _operand(raw[op])
    check_operand(doc, (*at, op), fact, op, operand, params)
    exclude = None
    if "except" in raw:
        if spec.kind is not FactKind.SET:
            raise doc.error((*at, "except"), f"'except' applies to set facts only; "
                            f"'{fact}' is a {spec.kind.value} fact")
        exclude = _canonical(_operand(raw["except"]))
        check_operand(doc, (*at, "except"), fact, "none_of", exclude, params)
    if spec.kind is FactKind.SET:
        operand = _canonical(operand)
    return Condition(fact=fact, op=op, operand=operand, location=doc.where((*at, op)),
                     exclude=exclude)


def _canonical(operand: Operand) -> Operand:
    if isinstance(operand, tuple):
        return tuple(GROUP_ALIASES.get(v, v) if isinstance(v, str) else v for v in operand)
    return operand


def param_cycle(params: dict[str, Operand], start: str) -> list[str]:
    """The chain `start -> ... -> start` when following ${params.X} references loops, else []."""
    chain, name = [start], start
    while isinstance(value := params.get(name), str) and (m := _REF.match(value)):
        name = m.group(1).removeprefix("params.")
        if not m.group(1).startswith("params.") or name not in params:
            return []
        if name in chain:
            return [*chain[chain.index(name):], name]
        chain.append(name)
    return []


def check_operand(doc: Document | None, at: Path_, fact: str, op: str, operand: Operand,
                  params: dict[str, Operand], chain: tuple[str, ...] = ()) -> None:
    """Refuse an operand of the wrong shape or outside the fact's vocabulary."""

    def fail(message: str) -> SourceError:
        if doc is None:
            return SourceError("(override)", 1, 1, ".".join(map(str, at)), message)
        return doc.error(at, message)

    shape = OPERATORS[op].operand
    if isinstance(operand, str) and (m := _REF.match(operand)):
        ref = m.group(1)
        if ref.startswith("params."):
            name = ref.removeprefix("params.")
            if name not in params:
                raise fail(f"unknown parameter '{name}'; the rule's params are: "
                           f"{', '.join(params) or '(none)'}")
            if name in chain:
                raise fail("parameters refer to each other in a cycle: "
                           + " -> ".join((*chain[chain.index(name):], name)))
            check_operand(doc, at, fact, op, params[name], params, (*chain, name))
            return
        if ref in CONTEXT_REFS:
            if shape is not OperandShape.LIST:
                raise fail(f"'${{{ref}}}' is a list; fact '{fact}' is not a set")
            return
        if ref not in DYNAMIC_REFS:
            known = ", ".join("${" + r + "}" for r in (*DYNAMIC_REFS, *CONTEXT_REFS))
            raise fail(f"unknown reference '${{{ref}}}'; expected ${{params.NAME}} or one of: "
                       f"{known}")
        if shape is not OperandShape.MOMENT:
            raise fail(f"'${{{ref}}}' is a date; fact '{fact}' is not")
        return
    from scanner.facts import FACTS

    spec = FACTS[fact]
    kind = spec.kind
    match shape:
        case OperandShape.FLAG:
            if not isinstance(operand, bool):
                raise fail(f"expected true or false; got {operand!r}")
        case OperandShape.LIST if kind is FactKind.INT:
            if not isinstance(operand, tuple) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in operand):
                raise fail(f"expected a list of integers; got {operand!r}")
        case OperandShape.LIST:
            if not isinstance(operand, tuple) or not all(isinstance(v, str) for v in operand):
                raise fail(f"expected a list of values; got {operand!r}")
            vocab = spec.vocabulary or ()
            for v in operand:
                if vocab and GROUP_ALIASES.get(str(v), v) not in vocab:
                    raise fail(f"unknown value '{v}' for fact '{fact}'; expected any of: "
                               f"{', '.join(vocab)}")
        case OperandShape.SCALAR:
            if kind is FactKind.BOOL and not isinstance(operand, bool):
                raise fail(f"expected true or false; got {operand!r}")
            if kind is FactKind.INT and (isinstance(operand, bool) or
                                         not isinstance(operand, int)):
                raise fail(f"expected an integer; got {operand!r}")
            if kind is FactKind.STR and not isinstance(operand, str):
                raise fail(f"expected a string; got {operand!r}")
        case OperandShape.MOMENT:
            from scanner.rulepack.conditions import parse_when

            if not isinstance(operand, str) or parse_when(operand) is None:
                raise fail(f"expected a date (YYYY-MM-DD), a date-time, or "
                           f"${{contract.end_date}} / ${{scan.time}}; got {operand!r}")


def _parse_override(doc: Document, at: Path_, raw: dict[str, Any]) -> Override:
    return Override(
        rule_id=raw["rule"], location=doc.where(at), at=f"{at[0]}[{at[1]}]",
        enabled=raw.get("enabled"),
        severity=Severity(raw["severity"]) if "severity" in raw else None,
        params={k: _operand(v) for k, v in (raw.get("params") or {}).items()},
        reason=raw.get("reason", ""),
    )
