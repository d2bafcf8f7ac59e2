"""The JSON result: stable text, validated loading, and a committed schema that stays current."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.console import render_console
from reports.html import render_html
from reports.json_report import (
    ResultLoadError,
    _dumps,
    load_json,
    main,
    render_json,
    render_schema,
)
from reports.sarif import render_sarif
from scanner.models import Message, MessageKey, ScanResult
from tests.reports.sample import HOSTILE_SUBJECT, LONG_BANNER, make_large_result, make_sample_result

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "reports" / "schema" / "result.schema.json"


def _keys_sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys)
    return dict(pairs)


def test_render_is_pretty_sorted_and_stable() -> None:
    result = make_sample_result()
    text = render_json(result)
    assert text == render_json(make_sample_result())
    assert text.endswith("}\n")
    assert text.startswith('{\n  "coverage"')  # the derived statement of applicability
    json.loads(text, object_pairs_hook=_keys_sorted)
    assert "Compléments Clinique Exemple" in text  # UTF-8 kept, not \u-escaped


def test_dict_insertion_order_does_not_change_the_text() -> None:
    result = make_sample_result()
    first = result.rules[0]
    flipped = first.model_copy(update={"controls": dict(reversed(first.controls.items()))})
    assert list(flipped.controls) != list(first.controls)
    other = result.model_copy(update={"rules": (flipped, *result.rules[1:])})
    assert render_json(other) == render_json(result)


@pytest.mark.parametrize("make", [make_sample_result, make_large_result],
                         ids=["sample", "large"])
def test_round_trip(make: Callable[[], ScanResult]) -> None:
    result = make()
    text = render_json(result)
    loaded = load_json(text)
    assert loaded == result
    assert render_json(loaded) == text
    assert load_json(text.encode()) == result


def test_hostile_strings_survive_as_data() -> None:
    loaded = load_json(render_json(make_sample_result()))
    legacy = loaded.service("legacy-api:8443/tls")
    chain = legacy.fact("cert.chain")
    assert chain is not None and isinstance(chain.value, tuple)
    assert chain.value[0].subject == HOSTILE_SUBJECT  # type: ignore[union-attr]
    details = [o.detail for r in loaded.results for ev in r.evidence for o in ev.decisive]
    assert any(d.endswith(LONG_BANNER) for d in details)


def test_sample_validates_against_committed_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(json.loads(render_json(make_sample_result())))


def test_schema_rejects_a_broken_result() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = json.loads(render_json(make_sample_result()))
    data["results"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)


def test_committed_schema_is_current() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == render_schema(), (
        "regenerate: python -m reports.json_report --schema > reports/schema/result.schema.json"
    )


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--schema"]) == 0
    assert capsys.readouterr().out == render_schema()
    assert main([]) == 2


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("not json", "(document): Invalid JSON"),
        ("[]", "(document)"),
        ('{"tool": 3}', "tool_version: Field required"),
    ],
)
def test_load_rejects_bad_input_clearly(text: str, where: str) -> None:
    with pytest.raises(ResultLoadError) as info:
        load_json(text)
    message = str(info.value)
    assert message.startswith("not a valid Rempart scan result")
    assert where in message


def test_load_rejects_unknown_fields_and_bad_values() -> None:
    data = json.loads(render_json(make_sample_result()))
    data["results"][3]["status"] = "maybe"
    data["surprise"] = True
    with pytest.raises(ResultLoadError) as info:
        load_json(json.dumps(data))
    message = str(info.value)
    assert "results.3.status" in message
    assert "surprise: Extra inputs are not permitted" in message
    assert isinstance(info.value, ValueError)


def test_load_lists_at_most_five_problems() -> None:
    with pytest.raises(ResultLoadError) as info:
        load_json("{}")
    lines = str(info.value).splitlines()
    assert len(lines) == 7 and lines[-1].startswith("  ... and ")


def test_loaded_result_is_the_model() -> None:
    assert isinstance(load_json(render_json(make_sample_result())), ScanResult)


def _as_schema_1(result: ScanResult) -> dict[str, Any]:
    """The sample in the shape schema 1 wrote: English messages and evidence strings."""
    data = json.loads(render_json(result))
    data["schema_version"] = "1"
    for item in data["results"]:
        item["message"] = f"{item['rule_id']} said something in English"
        item["evidence"] = [{"fact": e["fact"], "expected": "none of SSLv3",
                             "actual": "SSLv3", "detail": "RC4-SHA"} for e in item["evidence"]]
    return data


def test_schema_1_results_are_read_and_render_everywhere(tmp_path: Path) -> None:
    old = json.dumps(_as_schema_1(make_sample_result()))
    loaded = load_json(old)
    assert loaded.schema_version == "3"
    first = loaded.results[0]
    assert first.message == Message(key=MessageKey.LEGACY,
                                    text=f"{first.rule_id} said something in English")
    assert first.evidence[0].legacy == ("none of SSLv3", "SSLv3", "RC4-SHA")
    console = render_console(loaded, verbose=True, width=400)
    assert "said something in English" in console
    assert "expected none of SSLv3; found SSLv3" in console
    html = render_html(loaded, lang="fr")
    assert "said something in English" in html and "RC4-SHA" in html
    sarif = render_sarif(loaded, base_dir=tmp_path)
    assert "expected none of SSLv3; found SSLv3" in sarif


def test_a_version_1_result_is_still_read() -> None:
    data = json.loads(render_json(make_sample_result()))
    data["schema_version"] = "1"
    for added in ("exclusions", "waivers"):
        del data[added]
    loaded = load_json(json.dumps(data))
    assert loaded.schema_version == "3"
    assert loaded.results == make_sample_result().results


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30))
def test_json_text_is_what_json_dumps_writes(data: object) -> None:
    """The fast writer is a drop-in for json.dumps (sorted keys, indent 2, UTF-8 kept)."""
    assert _dumps(data) == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def test_real_result_text_is_what_json_dumps_writes() -> None:
    result = load_json((FIXTURES / "result-v2-demo.json").read_text())
    data = json.loads(render_json(result))
    assert render_json(result) == json.dumps(data, indent=2, sort_keys=True,
                                             ensure_ascii=False) + "\n"
