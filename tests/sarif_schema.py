"""The committed OASIS SARIF 2.1.0 schema with its published errata applied in memory (the file
itself stays byte-identical to OASIS's, see tests/reports/test_sarif.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parents[1] / "reports/schema/sarif-schema-2.1.0.json"


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    # sarif-spec issue #449: the standard's suppression property is `status`; this edition of
    # the schema misspells it `state`
    suppression = schema["definitions"]["suppression"]["properties"]
    if "state" in suppression:
        suppression["status"] = suppression.pop("state")
    return schema
