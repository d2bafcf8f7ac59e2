"""What the PDF attaches: the JSON result as `--json` writes it, and the inventory."""

from __future__ import annotations

import hashlib
import json

from reports.json_report import load_json, render_json
from reports.pdf import evidence_files
from tests.reports.sample import make_sample_result


def test_attaches_the_result_and_the_scanned_inventory_file() -> None:
    result = make_sample_result()
    files = evidence_files(result, ("inventory.yaml", b"rempart: 1\n"))
    assert [f.name for f in files] == ["result.json", "inventory.yaml"]
    assert files[0].data == render_json(result).encode("utf-8")
    assert load_json(files[0].data) == result
    assert files[1].data == b"rempart: 1\n"
    assert files[1].sha256 == hashlib.sha256(b"rempart: 1\n").hexdigest()


def test_without_the_file_attaches_the_inventory_the_result_recorded() -> None:
    result = make_sample_result()
    inventory = evidence_files(result, None)[1]
    assert inventory.name == "inventory.json"
    assert json.loads(inventory.data) == result.inventory.model_dump(mode="json")
