"""The hosts of one scan share one nmap run (real nmap, real loopback listeners), and the
--scan-rate presets turn into nmap arguments and back into words."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from scanner.models import Fact, Observation, ProbeStatus, ServiceProtocol
from scanner.probes import ports as ports_module
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeOptions, ProbeTarget
from scanner.probes.nmap_batch import NmapBatches
from scanner.probes.nmap_runner import INSTALL_HINT, NmapRun, find_nmap
from scanner.probes.ports import FACT, PortsProbe
from scanner.probes.scan_rate import PRESETS, parse_scan_rate
from tests.probes_ports import Listener, fresh_address, ssh_like
from tests.wording_help import how

needs_nmap = pytest.mark.skipif(find_nmap() is None, reason=INSTALL_HINT)


def opened(fact: Fact) -> set[str]:
    assert fact.status is ProbeStatus.COMPLETED, fact.reason
    assert isinstance(fact.value, tuple)
    return {o.value for o in fact.value if isinstance(o, Observation)}


@needs_nmap
def test_hosts_of_one_scan_share_one_nmap_run(monkeypatch: pytest.MonkeyPatch) -> None:
    addresses = [fresh_address() for _ in range(3)]
    listeners = {a: [Listener(a, 0, ssh_like) for _ in range(i + 1)]
                 for i, a in enumerate(addresses)}
    runs: list[tuple[str, ...]] = []
    real = ports_module.run_nmap_hosts

    def counted(hosts: tuple[str, ...], *args: object, **kwargs: object) -> dict[str, NmapRun]:
        runs.append(hosts)
        return real(hosts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ports_module, "run_nmap_hosts", counted)
    spec = ",".join(str(x.port) for ls in listeners.values() for x in ls) + ",1-100"
    lines: list[str] = []
    options = ProbeOptions(ports=spec, exposure_hosts=tuple(addresses),
                           on_progress=lines.append, scan_rate=PRESETS["fast"])
    probe = PortsProbe()

    def one(address: str) -> Fact:
        ctx = ProbeContext(timeout=2.0, deadline=time.monotonic() + 60, options=options)
        target = ProbeTarget(address, 0, ServiceProtocol.HOST, None, address, host=address)
        return probe.run(target, frozenset({FACT}), ctx, {})[0]

    try:
        with ThreadPoolExecutor(3) as pool:
            facts = dict(zip(addresses, pool.map(one, addresses), strict=True))
        # each result is handed out once: asking again (a new scan) runs nmap again
        again = one(addresses[0])
    finally:
        for group in listeners.values():
            for listener in group:
                listener.close()
    assert sorted(runs[0]) == sorted(addresses)  # ONE run for the three hosts
    for address, fact in facts.items():
        assert opened(fact) == {f"{x.port}/tcp" for x in listeners[address]}
        assert "one run shared by 3 hosts" in how(fact)
        assert "scan rate fast: at least 10,000 packets/s per host" in how(fact)
    assert len(lines) == 4 and all(line.startswith("exposure scan of ") for line in lines)
    assert len(runs) == 2 and runs[1][0] == addresses[0] and sorted(runs[1]) == sorted(addresses)
    assert opened(again) == opened(facts[addresses[0]])


def test_waiters_share_the_failure_and_respect_their_budget() -> None:
    batches = NmapBatches()
    calls: list[tuple[str, ...]] = []

    def broken(hosts: tuple[str, ...]) -> dict[str, NmapRun]:
        calls.append(hosts)
        time.sleep(0.3)
        raise ProbeFailure("nmap failed: boom")

    peers = ("198.51.100.1", "198.51.100.2", "198.51.100.3")  # never contacted: no nmap here

    def ask(address: str, budget: float) -> str:
        try:
            batches.result(("local", "-sS"), address, peers, time.monotonic() + budget, broken)
        except ProbeFailure as exc:
            return str(exc)
        return "no failure"

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(ask, peers[0], 5)
        time.sleep(0.05)
        second, impatient = pool.submit(ask, peers[1], 5), pool.submit(ask, peers[2], 0.05)
        got = [first.result(), second.result(), impatient.result()]
    assert got[:2] == ["nmap failed: boom"] * 2
    assert got[2] == ("service time budget exhausted while waiting for the nmap run shared by "
                      "3 hosts")
    assert calls == [peers]
    # an address the scan did not list is scanned on its own
    assert ask("198.51.100.9", 5) == "nmap failed: boom" and calls[-1] == ("198.51.100.9",)


@pytest.mark.parametrize(("text", "expected"), [
    ("default", ("default", 3000, 1, 500, 2)),
    ("careful", ("careful", 300, 3, 1000, 2)),
    ("FAST", ("fast", 10000, 1, 250, 0)),
    ("5000", ("5000/s", 5000, 1, 500, 2)),
    ("fast,retries=2,rtt=300,intensity=4", ("fast,retries=2,rtt=300,intensity=4", 10000, 2,
                                            300, 4)),
    ("careful,rate=800", ("careful,rate=800", 800, 3, 1000, 2)),
])
def test_scan_rate_presets_and_settings(text: str, expected: tuple[object, ...]) -> None:
    rate = parse_scan_rate(text)
    assert (rate.name, rate.rate, rate.retries, rate.max_rtt_ms, rate.intensity) == expected


@pytest.mark.parametrize(("text", "error"), [
    ("turbo", "unknown scan rate 'turbo'"), ("fast,retries", "bad scan rate setting"),
    ("fast,speed=3", "bad scan rate setting"), ("5", "rate 5 is out of range"),
    ("default,intensity=12", "intensity 12 is out of range"),
])
def test_bad_scan_rates_say_what_was_expected(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_scan_rate(text)


def test_scan_rate_arguments_grow_with_the_hosts_of_a_run() -> None:
    rate = PRESETS["default"]
    assert rate.arguments(1) == ("-T4", "--min-rate", "3000", "--max-retries", "1",
                                 "--max-rtt-timeout", "500ms", "--min-hostgroup", "1")
    args = rate.arguments(20)
    assert args[args.index("--min-rate") + 1] == "50000"  # capped
    assert args[args.index("--min-hostgroup") + 1] == "20"


def test_a_second_ask_starts_a_new_run_without_disturbing_the_first() -> None:
    batches = NmapBatches()
    calls: list[tuple[str, ...]] = []
    peers = ("198.51.100.1", "198.51.100.2")

    def fake(hosts: tuple[str, ...]) -> dict[str, NmapRun]:
        calls.append(hosts)
        return {h: NmapRun("7.93", "syn", len(calls), 0.1, "up") for h in hosts}

    def ask(address: str) -> int:
        got = batches.result(("local",), address, peers, time.monotonic() + 5, fake)
        return got.run.scanned  # which run answered

    assert ask(peers[0]) == 1 and ask(peers[0]) == 2  # served once: a new run
    assert ask(peers[1]) == 1  # still the first run's result for the other host
    assert calls == [peers, peers]
