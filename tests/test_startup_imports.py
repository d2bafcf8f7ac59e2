"""Loading the command line imports no heavy library it does not need: each is imported where
it is used (history: SQLAlchemy/Alembic; SSH probes: paramiko; vulnerability probe: sslyze;
--pdf: WeasyPrint; ...). Speed is measured in bench/, not here: this test only keeps a heavy
import from coming back at start-up unnoticed (see bench/README.md, start-up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each is imported only by the code that uses it.
NOT_AT_STARTUP = (
    "sqlalchemy", "alembic",  # scan history (the history commands, or storing a scan)
    "paramiko",  # SSH audit, host checks, SSH vantages
    "sslyze", "nassl",  # the opt-in vulnerability probe; the legacy-TLS certificate fetch
    "weasyprint",  # --pdf
    "jinja2",  # HTML reports and the status page
    "dns",  # dnspython: SPF and DNS-migration probes
    "nmap",  # python-nmap: exposure scans and flows
    "tlslite", "service_identity",  # TLS and certificate probes (when a scan runs)
    "babel", "junitparser", "feedparser",  # report formats
    "jsonschema",  # validating an inventory or a rule pack
    "rich",  # the console report and the progress bar (not --help, not a quiet scan)
    "psutil",  # killing a scan's children when it is interrupted
)
SHOW_MODULES = """\
import json, sys
sys.argv = ["rempart", *json.loads(sys.argv[1])]
from scanner.cli import main
try:
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def modules_loaded(*args: str) -> set[str]:
    """The top-level packages imported by `rempart ARGS` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", SHOW_MODULES, json.dumps(args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    names = json.loads(proc.stdout.strip().splitlines()[-1])
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("args", [(), ("--help",), ("scan", "--help"), ("history", "--help"),
                                  ("report", "--help")], ids=" ".join)
def test_the_command_line_starts_without_heavy_imports(args: tuple[str, ...]) -> None:
    loaded = modules_loaded(*args)
    assert "scanner" in loaded and "click" in loaded  # the CLI really was loaded
    assert sorted(loaded.intersection(NOT_AT_STARTUP)) == []


def test_the_probe_catalogue_loads_without_the_probes_libraries() -> None:
    """Every scan loads the catalogue (every probe module); a scan uses few of the probes."""
    code = ("import json, sys; from scanner.facts import FACTS; assert FACTS; "
            "print(json.dumps(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    loaded = {name.split(".")[0] for name in json.loads(proc.stdout)}
    assert "scanner" in loaded
    assert sorted(loaded & {"paramiko", "dns", "nmap", "sslyze", "sqlalchemy"}) == []


def test_python_dash_m_runs_the_command_line_with_every_command() -> None:
    """`python -X importtime -m scanner.cli --help` is how start-up is profiled."""
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "history", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "List the stored scans" in proc.stdout
