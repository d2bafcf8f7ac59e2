"""Where the HTML checks' external tools live, and why a test has to skip without them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run .ci/install-html-tools.sh"


def _require(missing: list[str]) -> None:
    """Skip (or fail, when REMPART_HTML_TOOLS_REQUIRED=1 as in CI) if a tool is missing."""
    if not missing:
        return
    reason = f"missing {', '.join(missing)}: {INSTALL_HINT}"
    if os.environ.get("REMPART_HTML_TOOLS_REQUIRED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def require_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(str(CHROMIUM))
    if shutil.which("node") is None:
        missing.append("node")
    for package in ("playwright-core", "axe-core"):
        if not (NODE_MODULES / package).is_dir():
            missing.append(f"tests/html/node_modules/{package}")
    _require(missing)


def require_validator() -> None:
    missing = [] if shutil.which("java") else ["java"]
    if not VNU_JAR.exists():
        missing.append("tests/html/node_modules/vnu-jar")
    _require(missing)


def browser_check(out_dir: Path, *reports: Path) -> list[dict[str, Any]]:
    """Run browser_check.mjs once over all reports (one Chromium for all)."""
    proc = subprocess.run(
        ["node", str(HERE / "browser_check.mjs"), str(out_dir), *map(str, reports)],
        capture_output=True, text=True, timeout=180, check=False, cwd=HERE,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    reports_json: list[dict[str, Any]] = json.loads(proc.stdout)["reports"]
    return reports_json


def vnu_errors(*files: Path) -> list[dict[str, Any]]:
    """The Nu Html Checker's errors for the files (empty list: valid)."""
    proc = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    messages: list[dict[str, Any]] = json.loads(proc.stderr or proc.stdout)["messages"]
    return [m for m in messages if m.get("type") in ("error", "non-document-error")]
