"""A second demo on the same machine waits for the first (their hosts share addresses)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scanner.demo.lock import one_demo_at_a_time


def test_second_demo_waits_for_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    lock = tmp_path / "demo.lock"
    order: list[str] = []
    second_started = threading.Event()

    def second() -> None:
        second_started.set()
        with one_demo_at_a_time(lock):
            order.append("second")

    with one_demo_at_a_time(lock):
        thread = threading.Thread(target=second)
        thread.start()
        second_started.wait()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # still waiting while the first holds the lock
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert "another demo is running on this machine; waiting" in capsys.readouterr().err
