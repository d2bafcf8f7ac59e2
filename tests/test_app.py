"""The entry point: scan(ScanRequest) with an observer and a cancellation event."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from scanner.app import ScanRequest, scan
from scanner.engine import ScanOptions
from scanner.interrupt import Cancel
from scanner.inventory import load_inventory
from scanner.models import ReasonCategory, ScanResult, ServiceReport, Status
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from tests.errors import assert_error, assert_rule_error

RULES = build_ruleset([load_pack("saas-baseline")])


def inventory(tmp_path: Path, ports: list[int]) -> Path:
    lines = ["rempart: 1", "contract: {customer: Test}", "scope: [127.0.0.0/8]", "hosts:"]
    for i, port in enumerate(ports):
        lines += [f"  - name: h{i}", "    address: 127.0.0.1", "    services:",
                  f"      - {{port: {port}, protocol: tls}}"]
    path = tmp_path / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.lock = threading.Lock()

    def started(self, subjects: int) -> None:
        self.events.append(f"started {subjects}")

    def subject_done(self, report: ServiceReport) -> None:
        with self.lock:
            self.events.append(f"done {report.service.key}")

    def finished(self, result: ScanResult) -> None:
        self.events.append(f"finished {len(result.services)}")


def test_the_observer_sees_every_subject(tmp_path: Path) -> None:
    ports = [closed_port(), closed_port()]
    recorder = Recorder()
    result = scan(ScanRequest(load_inventory(inventory(tmp_path, ports)), RULES,
                              ScanOptions(timeout=1), observer=recorder))
    assert recorder.events[0] == "started 2" and recorder.events[-1] == "finished 2"
    assert sorted(recorder.events[1:-1]) == sorted(f"done h{i}:{p}/tls"
                                                   for i, p in enumerate(ports))
    assert not result.interrupted
    refused = [f.category for s in result.services for f in s.facts]
    assert refused and set(refused) == {ReasonCategory.REFUSED}


def test_a_cancelled_scan_is_marked_interrupted_and_sends_nothing(tmp_path: Path) -> None:
    with socket.socket() as listener:  # a real open port: a connection would be accepted
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = int(listener.getsockname()[1])
        cancel = Cancel()
        cancel.set()
        result = scan(ScanRequest(load_inventory(inventory(tmp_path, [port])), RULES,
                                  ScanOptions(timeout=1), cancel=cancel))
        try:
            listener.accept()[0].close()
            connected = True
        except TimeoutError:
            connected = False
    assert not connected
    assert result.interrupted
    [report] = result.services
    assert {(r.category, r.connections) for r in report.probes} == {
        (ReasonCategory.INTERRUPTED, 0)}
    assert report.facts
    for fact in report.facts:
        assert_error(fact, ReasonCategory.INTERRUPTED, "the scan was interrupted")
    assert {r.status for r in result.results} <= {Status.ERROR, Status.NOT_APPLICABLE}
    for rr in result.results:
        if rr.status is Status.ERROR:
            assert_rule_error(result, rr, ReasonCategory.INTERRUPTED, "the scan was interrupted")
