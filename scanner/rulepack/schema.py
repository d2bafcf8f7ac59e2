"""The rule-pack YAML document, typed: the one source of rules/schema/rulepack.schema.json.

The field names, types and constraints come from the TypedDicts below; severities from
`Severity`, subject protocols from `ServiceProtocol`, the condition's operator properties from
`scanner.rulepack.operators.OPERATORS`. The loader validates against the committed file; a test
checks that it is what this module writes. After changing a model or a vocabulary, run

    make schemas        # or: python -m scanner.schemagen
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from scanner.models import ServiceProtocol, Severity
from scanner.rulepack.operators import OPERATORS, OperandShape
from scanner.schemagen import generate, shared

_STRICT = ConfigDict(extra="forbid")
NonEmpty = Annotated[str, Field(min_length=1)]
_REQ_ID = {"pattern": "^REQ-[A-Z]+-[0-9]{2,}$", "description": "a requirement ID like REQ-TLS-01"}
RequirementId = Annotated[str, Field(**_REQ_ID)]
Slug = Annotated[str, Field(pattern="^[a-z0-9][a-z0-9-]*$",
                            description="lower-case letters, digits and dashes")]
RuleId = Annotated[str, Field(
    pattern="^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}$",
    description="an ID like TLS-PROTO-001 (upper-case family, three digits)")]
# JSON Schema's multi-type `type` has no pydantic spelling; `value` is shared by the operators
Value = Annotated[Any, shared("value")]
# recursive, and its properties come from the operator table (`condition_properties`)
Condition = Annotated[dict[str, Any], shared("condition")]
VALUE = {
    "description": "a value, a list of values, or a parameter like ${params.name}",
    "type": ["string", "number", "boolean", "array"],
    "items": {"type": ["string", "number", "boolean"]},
}


@with_config(_STRICT)
class Localized(TypedDict):
    en: NonEmpty
    fr: NotRequired[NonEmpty]


Text = Annotated[NonEmpty | Localized, Field(
    description="a string, or a mapping of language to string with at least 'en'")]


@with_config(_STRICT)
class PackInfo(TypedDict):
    id: Slug
    version: NonEmpty
    title: Text
    description: NotRequired[Text]


@with_config(_STRICT)
class Source(TypedDict):
    title: Annotated[str, Field(min_length=1,
                                description="the document's own title, as the reader can find it")]
    issuer: NotRequired[Annotated[str, Field(min_length=1,
                                             description="who wrote or published it")]]
    date: NotRequired[Annotated[str, Field(pattern="^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
                                           description="its date: YYYY-MM-DD, YYYY-MM or YYYY")]]
    reference: NotRequired[Annotated[str, Field(
        description="where to get it (URL, document number)")]]


@with_config(_STRICT)
class Requirement(TypedDict):
    text: Text
    source: NonEmpty
    section: NotRequired[Annotated[str, Field(
        min_length=1, description="the section of the source document that demands it")]]
    quote: NotRequired[Annotated[str, Field(
        min_length=1, description="the sentence of the source, verbatim, in its language")]]


Controls = TypedDict("Controls", {  # "anssi-tls" is no Python name
    "iso27001": NotRequired[list[Annotated[str, Field(
        pattern="^A\\.[5-8]\\.[0-9]+$",
        description="an ISO/IEC 27001:2022 Annex A control like A.8.24")]]],
    "hds": NotRequired[Annotated[list[str], Field(
        description="HDS certification standard requirements; [] says none applies")]],
    "soc2": NotRequired[list[Annotated[str, Field(
        pattern="^(CC[1-9]|A1|C1|PI1|P[1-8])\\.[0-9]+$",
        description="an AICPA Trust Services Criterion like CC6.7")]]],
    "anssi-tls": NotRequired[list[str]],
})
with_config(_STRICT)(Controls)


@with_config(_STRICT)
class Rule(TypedDict):
    id: RuleId
    title: Text
    severity: Severity
    requirements: Annotated[list[RequirementId], Field(min_length=1)]
    sources: NotRequired[list[str]]
    controls: NotRequired[Controls]
    applies_to: NotRequired[Annotated[list[ServiceProtocol], Field(min_length=1)]]
    params: NotRequired[dict[str, Value]]
    when: NotRequired[Condition]
    check: Condition
    rationale: Text
    remediation: Text
    references: NotRequired[list[str]]


@with_config(_STRICT)
class Override(TypedDict):
    rule: RuleId
    enabled: NotRequired[bool]
    severity: NotRequired[Severity]
    params: NotRequired[dict[str, Value]]
    reason: NotRequired[str]


@with_config(_STRICT)
class RulePack(TypedDict):
    rempart: Annotated[Literal[1], Field(description="format version")]
    pack: PackInfo
    sources: NotRequired[dict[str, Source]]
    requirements: NotRequired[Annotated[dict[str, Requirement], Field(
        json_schema_extra={"propertyNames": _REQ_ID})]]
    rules: NotRequired[list[Rule]]
    overrides: NotRequired[list[Override]]


HEADER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://rempart.invalid/schema/rulepack.schema.json",
    "title": "Rempart rule pack",
    "description": "Declarative rules over probe facts. See README.md, section 'Rule packs'.",
}

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


def generated_schema() -> dict[str, Any]:
    condition = {"type": "object", "minProperties": 1, "additionalProperties": False,
                 "properties": condition_properties()}
    return generate(RulePack, HEADER, {"value": VALUE, "condition": condition})


def committed_text() -> str:
    return resources.files("rules").joinpath("schema/rulepack.schema.json").read_text("utf-8")

