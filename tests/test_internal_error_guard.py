"""The guard against crashes passing for expected errors (tests/internal_errors.py)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PROBE_CRASH = """
import time
from scanner.engine import run_probe
from scanner.models import ServiceProtocol
from scanner.probes.base import ProbeContext, ProbeTarget
import pytest

class Crashing:
    name = "tls"
    provides = frozenset({"tls.protocols"})
    def run(self, target, wanted, ctx, known):
        raise KeyError("bug")

def crash():
    target = ProbeTarget("127.0.0.1", 1, ServiceProtocol.TLS, None, "127.0.0.1")
    ctx = ProbeContext(timeout=1.0, deadline=time.monotonic() + 5)
    [fact] = run_probe(Crashing(), target, frozenset({"tls.protocols"}), ctx, {})
    return fact

def test_only_checks_for_error():
    assert crash().status == "error"  # would pass on a crash without the guard

@pytest.mark.internal_error_expected
def test_declared():
    assert crash().category == "internal_error"
"""


@pytest.mark.internal_error_expected  # the inner run logs in this process too
def test_a_crash_fails_the_test_that_did_not_expect_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PROBE_CRASH)
    run = pytester.runpytest("-p", "tests.internal_errors", "-p", "no:xdist")
    run.assert_outcomes(passed=2, errors=1)  # the guard fails the first at teardown
    run.stdout.fnmatch_lines(["*logged 1 internal error(s)*", "*probe tls crashed on*",
                              "*KeyError: 'bug'*"])
