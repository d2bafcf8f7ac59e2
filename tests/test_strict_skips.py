"""CI turns every skip into a failure; outside CI a skip stays a skip."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest
needs_tool = pytest.mark.skipif(True, reason="nmap is not installed")
def test_runtime_skip():
    pytest.skip("no IPv6 loopback")
@needs_tool
def test_marked_skip():
    pass
@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False
"""


def test_ci_fails_every_skip(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMPART_NO_SKIPS", "1")
    pytester.makepyfile(SKIPPING)
    run = pytester.runpytest("-p", "tests.strict_skips", "-p", "no:xdist")
    run.assert_outcomes(failed=1, errors=1, xfailed=1)  # a skip mark acts at setup: error
    run.stdout.fnmatch_lines(["*does not allow*no IPv6 loopback*"])
    run.stdout.fnmatch_lines(["*does not allow*nmap is not installed*"])


def test_skips_stay_skips_outside_ci(pytester: pytest.Pytester,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMPART_NO_SKIPS", raising=False)
    pytester.makepyfile(SKIPPING)
    pytester.runpytest("-p", "tests.strict_skips", "-p", "no:xdist").assert_outcomes(
        skipped=2, xfailed=1)
