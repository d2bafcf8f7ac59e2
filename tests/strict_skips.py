"""A pytest plugin: with REMPART_NO_SKIPS=1 (set by .ci/run) every skip is a failure.

A missing nmap, IPv6 loopback, network namespace or browser must never pass unnoticed in CI.
Only `xfail` (an expected failure, declared as such) is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

STRICT_SKIPS = "REMPART_NO_SKIPS"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if os.environ.get(STRICT_SKIPS) != "1" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped, which {STRICT_SKIPS}=1 (CI) does not allow: {reason}"
