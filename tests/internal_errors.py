"""A pytest plugin: a test fails when Rempart logged an internal error (a probe crash).

Probes turn every exception into an `error` fact, so a test that only checks for `error` would
pass on a crash. This guard makes a crash fail every test in which it happens, unless the test
is marked `@pytest.mark.internal_error_expected` (the tests of the crash boundary itself).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

MARK = "internal_error_expected"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: the test provokes an internal error on purpose")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("internal error"):
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    collector = _Collector()
    logger = logging.getLogger("rempart")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.records and request.node.get_closest_marker(MARK) is None:
        first = collector.records[0]
        detail = logging.Formatter().format(first)
        pytest.fail(f"Rempart logged {len(collector.records)} internal error(s); the first:\n"
                    f"{detail}", pytrace=False)
