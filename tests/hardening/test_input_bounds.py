"""Hostile input files: refused with exit status 2 and a clear message, never a traceback.

Alias bombs, deep nesting, oversized files, devices and FIFOs, parameter cycles."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.limits import MAX_YAML_BYTES, InputTooLarge, read_bounded
from scanner.models import Vantage
from scanner.probes.base import ProbeFailure
from scanner.probes.vantage import ssh_attempts
from scanner.rulepack.loader import load_pack
from scanner.rulepack.ruleset import build_ruleset
from scanner.yamlsrc import MAX_DEPTH, MAX_NODES, SourceError, load_document

INVENTORY = """\
rempart: 1
contract: {customer: Example}
scope: [127.0.0.0/8]
hosts:
  - name: web
    address: 127.0.0.1
    services: [{port: 443, protocol: https}]
"""

PACK = """\
rempart: 1
pack: {id: mine, version: "1", title: Mine}
sources: {DOC: {title: Our policy}}
requirements:
  REQ-TLS-01: {text: Old protocols refused, source: DOC}
rules:
  - id: MY-PROTO-001
    title: No SSL
    severity: high
    requirements: [REQ-TLS-01]
    params: {PARAMS}
    check: {fact: tls.protocols, none_of: "${params.a}"}
    rationale: because
    remediation: fix it
"""


def billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels):
        refs = ", ".join(f"*a{i - 1}" for _ in range(10))
        lines.append(f"a{i}: &a{i} [{refs}]")
    return INVENTORY + "\n".join(lines) + "\n"


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(main, list(args))
    assert "Traceback" not in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    return out.exit_code, out.output


def test_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(billion_laughs())
    status, output = run("inventory", "validate", str(path))
    assert status == 2
    assert f"{path}:8:" in output
    assert "a0: anchors (&a0) are not supported" in output


def test_anchor_alone_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY.replace("contract: {", "contract: &c {"))
    status, output = run("inventory", "validate", str(path))
    assert status == 2
    assert f"{path}:2:11: contract: anchors (&c) are not supported" in output


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH * 3  # libyaml itself stops at 1000
    text = (INVENTORY + "x: " + "[" * depth + "]" * depth + "\n").encode()
    with pytest.raises(SourceError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_document("deep.yaml", text)


def test_too_many_values_are_refused() -> None:
    text = (INVENTORY + "x: [" + "1," * (MAX_NODES + 10) + "]\n").encode()
    assert len(text) < MAX_YAML_BYTES
    with pytest.raises(SourceError, match=f"more than {MAX_NODES} values"):
        load_document("wide.yaml", text)


def test_long_lines_parse(tmp_path: Path) -> None:
    """Million-character comment and scalar lines are read (linearly: see bench/yaml_bench.py)."""
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY.replace("customer: Example", "customer: " + "ab " * 300_000)
                    + "# " + "x" * 1_000_000 + "\n")
    status, output = run("inventory", "validate", str(path))
    assert status == 0, output


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY + "# " + "x" * MAX_YAML_BYTES + "\n")
    status, output = run("inventory", "validate", str(path))
    assert status == 2
    assert "Rempart reads at most 2 MiB here" in output


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_non_regular_inputs_are_refused(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "inv.yaml"
        os.mkfifo(path)
        word = "a FIFO"
    elif kind == "device":
        path, word = Path("/dev/zero"), "a device"
    else:
        path, word = tmp_path, "a directory"
    for command in (["inventory", "validate"], ["rules", "validate"]):
        status, output = run(*command, str(path))
        assert status == 2
        assert (f"{path}:1:1: (file): cannot read: {word}; expected a regular file" in output
                or "is a directory" in output), output


def test_read_bounded_stops_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 101)
    assert read_bounded(path, 101) == b"x" * 101
    with pytest.raises(InputTooLarge, match="101 bytes"):
        read_bounded(path, 100)


@pytest.mark.parametrize(("params", "chain", "line"), [
    ('{a: "${params.a}"}', "a -> a", 11),
    ('{a: "${params.b}", b: "${params.c}", c: "${params.a}"}', "a -> b -> c -> a", 11),
])
def test_parameter_cycles_are_refused_with_the_chain(tmp_path: Path, params: str, chain: str,
                                                     line: int) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.replace("{PARAMS}", params))
    status, output = run("rules", "validate", str(path))
    assert status == 2
    assert f"{path}:{line}:" in output
    assert f"parameters refer to each other in a cycle: {chain}" in output


def test_override_creating_a_cycle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.replace("{PARAMS}", "{a: [SSLv3]}") + "overrides:\n"
                    '  - {rule: TLS-PROTO-001, params: {forbidden: "${params.forbidden}"}}\n')
    with pytest.raises(SourceError, match="cycle: forbidden -> forbidden"):
        build_ruleset([load_pack("saas-baseline"), load_pack(str(path))])


def test_impossible_date_names_its_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY.replace("customer: Example}", "customer: Example,\n"
                                      "           end_date: 2027-02-30}"))
    status, output = run("inventory", "validate", str(path))
    assert status == 2
    assert f"{path}:3:22: contract.end_date: expected a date like 2027-06-30; got '2027-02-30'" \
        in output


@pytest.mark.parametrize("what", ["known_hosts", "key_file"])
def test_vantage_files_that_never_end_are_refused(tmp_path: Path, what: str) -> None:
    key, known = tmp_path / "key", tmp_path / "known_hosts"
    key.write_text("not really a key\n")
    known.write_text("")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    vantage = Vantage(name="v", address="127.0.0.1", port=1, user="u", key_file=str(key),
                      known_hosts=str(known)).model_copy(update={what: str(fifo)})
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            ssh_attempts(vantage, [("127.0.0.1", 80)], 1.0, 1e12)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(30)  # a hang (the bug) leaves the thread blocked in open()
    if worker.is_alive():
        with open(fifo, "wb"):  # unblock the reader so the thread can end
            pass
        pytest.fail(f"reading a FIFO as {what} hung")
    assert isinstance(outcome[0], ProbeFailure)
    assert "a FIFO; expected a regular file" in str(outcome[0])


def test_alias_is_refused_where_it_is_used() -> None:
    text = (INVENTORY + "x: !!str &y a\nz: *y\n").encode()
    with pytest.raises(SourceError, match="anchors"):
        load_document("a.yaml", text)
    with pytest.raises(SourceError, match=r"a\.yaml:8:4: z: aliases \(\*y\) are not supported"):
        load_document("a.yaml", (INVENTORY + "z: *y\n").encode())


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_ca_file_that_never_ends_is_refused_before_the_scan(tmp_path: Path, kind: str) -> None:
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "ca.pem"
        os.mkfifo(path)
    inv = tmp_path / "inv.yaml"
    inv.write_text(INVENTORY)
    status, output = run("scan", str(inv), "--ca-file", str(path), "-q")
    assert status == 2
    assert f"--ca-file {path}: cannot read: a {'FIFO' if kind == 'fifo' else 'device'}" in output
