"""A scan renders its JSON once for the history and --json: the same (frozen) result object
gives the same text without rendering again; any other result is rendered afresh."""

from __future__ import annotations

import json

from reports.json_report import render_json
from tests.reports.sample import make_sample_result


def test_the_same_result_is_rendered_once_and_another_afresh() -> None:
    result = make_sample_result()
    text = render_json(result)
    assert render_json(result) is text
    other = result.model_copy(update={"tool_version": "9.9.9"})
    assert json.loads(render_json(other))["tool_version"] == "9.9.9"
    again = render_json(result)
    assert again == text and json.loads(again)["tool_version"] == result.tool_version
    equal = result.model_copy()  # an equal but distinct object: rendered, the same text
    assert render_json(equal) == text
