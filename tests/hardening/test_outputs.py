"""Outputs are checked before any work, written whole or not at all, and never overwrite an
input; `rempart report` refuses a result whose findings name rules it does not define."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.json_report import render_json
from scanner.cli import main
from scanner.outputs import write_atomic
from tests.hardening.test_input_bounds import INVENTORY
from tests.reports.sample import make_sample_result


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(main, list(args))
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    assert "Traceback" not in out.output
    return out.exit_code, out.output


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    return path


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    path = tmp_path / "result.json"
    path.write_text(render_json(make_sample_result()))
    return path


def test_two_reports_on_one_file_are_refused_before_the_scan(inventory: Path) -> None:
    out = inventory.parent / "out"
    status, output = run("scan", str(inventory), "--sarif", str(out), "--json", str(out))
    assert status == 2
    assert f"--json and --sarif name the same file ({out})" in output
    assert "Verdict" not in output  # no scan ran
    assert not out.exists()


def test_a_report_over_a_hard_link_of_another_is_refused(inventory: Path) -> None:
    a, b = inventory.parent / "a.json", inventory.parent / "b.sarif"
    a.write_text("{}")
    os.link(a, b)
    status, output = run("scan", str(inventory), "--json", str(a), "--sarif", str(b))
    assert status == 2
    assert "name the same file" in output


def test_a_report_over_the_inventory_is_refused(inventory: Path) -> None:
    status, output = run("scan", str(inventory), "--html", str(inventory))
    assert status == 2
    assert f"--html {inventory} is an input of this run (the inventory)" in output
    assert inventory.read_text() == INVENTORY


def test_a_report_over_a_rule_pack_is_refused(inventory: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text((Path(__file__).parents[2] / "rules" / "ops-performance.yaml").read_text()
                    .replace("id: ops-performance", "id: my-ops"))
    status, output = run("scan", str(inventory), "--no-default-rules", "--rules", str(pack),
                         "--sarif", str(pack))
    assert status == 2, output
    assert "is an input of this run (a rule pack)" in output


def test_report_cannot_overwrite_the_result_it_reads(result_file: Path) -> None:
    before = result_file.read_bytes()
    status, output = run("report", str(result_file), "--html", str(result_file))
    assert status == 2
    assert "is an input of this run (the JSON result read)" in output
    assert result_file.read_bytes() == before


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_unwritable_output_is_refused_before_the_scan(inventory: Path, where: str) -> None:
    if where == "proc":
        target = Path("/proc/rempart-test/out.json")
    else:
        (inventory.parent / "plain").write_text("x")
        target = inventory.parent / "plain" / "out.json"
    status, output = run("scan", str(inventory), "--json", str(target))
    assert status == 2
    assert f"--json {target}: cannot write in {target.parent}" in output
    assert "Verdict" not in output


def test_a_device_is_not_an_output(inventory: Path) -> None:
    status, output = run("scan", str(inventory), "--json", "/dev/null")
    assert status == 2
    assert "--json /dev/null is not a regular file" in output
    assert Path("/dev/null").is_char_device()


def test_a_write_that_fails_half_way_keeps_the_previous_report(
        result_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sarif = tmp_path / "good.sarif"
    sarif.write_text('{"previous": "complete"}')

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)  # the disk fills up while the file is written
    status, output = run("report", str(result_file), "--sarif", str(sarif))
    assert status == 2
    assert f"cannot write {sarif}: No space left on device" in output
    assert sarif.read_text() == '{"previous": "complete"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.sarif", "result.json"]


def test_write_atomic_replaces_whole_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o640
    write_atomic(tmp_path / "sub" / "fresh.json", b"x")
    assert (tmp_path / "sub" / "fresh.json").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "sub"]


@pytest.mark.parametrize("field", ["rule_id", "service"])
def test_report_refuses_a_result_naming_unknown_rules(result_file: Path, tmp_path: Path,
                                                      field: str) -> None:
    data = json.loads(result_file.read_text())
    data["results"][1][field] = "NOT-A-RULE-999"
    result_file.write_text(json.dumps(data))
    sarif, html = tmp_path / "r.sarif", tmp_path / "r.html"
    status, output = run("report", str(result_file), "--sarif", str(sarif), "--html", str(html))
    assert status == 2
    assert f"results[1].{field}: " in output
    assert "not a consistent Rempart scan result" in output
    assert not sarif.exists() and not html.exists()  # nothing half-written
