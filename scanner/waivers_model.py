"""The waiver file, typed: the one source of scanner/schema/waivers.schema.json.

scanner/waivers.py validates against the committed schema, then reads the plain values (and
parses the dates itself, to say what it expected). `make schemas` rewrites the file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, with_config
from pydantic.config import JsonDict
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from scanner.models import Severity
from scanner.schemagen import UNKNOWN_FIRST, generate

NonEmpty = Annotated[str, Field(min_length=1)]
Names = Annotated[list[NonEmpty], Field(min_length=1)]
_EITHER: JsonDict = {"anyOf": [{"required": ["hosts"]}, {"required": ["services"]}]}


@with_config(ConfigDict(extra="forbid", json_schema_extra={**UNKNOWN_FIRST, **_EITHER}))
class Waiver(TypedDict):
    id: Annotated[str, Field(pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                             description="an ID like W-2026-001 (letters, digits, . _ -)")]
    rule: NonEmpty
    hosts: NotRequired[Annotated[Names, Field(
        description="host names of the inventory; '*' for every host")]]
    services: NotRequired[Annotated[Names, Field(
        description="service keys like web:443/https or web:443")]]
    justification: NonEmpty
    approver: NonEmpty
    start: Annotated[str, Field(description="a date like 2026-11-01")]
    expires: Annotated[str, Field(description="a date like 2027-01-31")]
    risk: Severity


@with_config(ConfigDict(extra="forbid", json_schema_extra=UNKNOWN_FIRST))
class WaiverFile(TypedDict):
    rempart: Literal[1]
    waivers: list[Annotated[Waiver, Field(
        description="a waiver with 'hosts' or 'services' (or both)")]]


HEADER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Rempart waivers",
    "description": "Accepted risks: failures of a rule on some hosts or services, approved by "
                   "someone, for a limited time.",
}


def generated_schema() -> dict[str, Any]:
    return generate(WaiverFile, HEADER)
