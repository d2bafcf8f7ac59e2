"""`make mutation`: mutation testing (mutmut) of the modules that decide verdicts and safety.

Runs in a scratch copy of the tree (mutmut rewrites the files it mutates), with the fast tests
only, then prints the score of each module and every surviving mutant that is not listed in
scripts/mutation-equivalents.txt with the reason it cannot be killed. Exit status 1 when a
module scores under the target or a survivor is unexplained.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90
EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.txt"

# The judging core: rule conditions and evaluation, the verdict and exit status, the scope guard,
# SARIF/JUnit severity mapping, the inventory and pack validators, waivers and the baseline diff.
MODULES = (
    "scanner/rulepack/operators.py",
    "scanner/rulepack/conditions.py",
    "scanner/rulepack/evaluate.py",
    "scanner/verdict.py",
    "scanner/netaddr.py",
    "reports/levels.py",
    "scanner/rulepack/loader.py",
    "scanner/inventory.py",
    "scanner/waivers.py",
    "scanner/gate.py",
    "scanner/history/diff.py",
)
# Fast tests (no servers) that exercise them; mutmut picks, per function, the ones that reach it.
TESTS = (
    "tests/rules",
    "tests/test_operator_table.py",
    "tests/reports/test_verdict_agreement.py",
    "tests/test_scope_guard.py",
    "tests/test_netaddr.py",
    "tests/test_inventory.py",
    "tests/test_rulepack_errors.py",
    "tests/reports/test_levels.py",
    "tests/test_judging_core.py",
    "tests/test_adhoc_targets.py",
    "tests/test_rulepack_errors_exact.py",
    "tests/test_inventory_errors_exact.py",
    "tests/hardening/test_input_bounds.py",
    "tests/weekly/test_waiver_rules.py",
    "tests/weekly/test_waivers.py",
    "tests/weekly/test_baseline_rules.py",
    "tests/weekly/test_ci_formats.py",
)
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}


def copy_tree(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.splitlines()
    for name in files:
        src = ROOT / name
        if src.is_file() and not name.startswith("tests/html/node_modules/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def link_shared(dest: Path) -> None:
    """Tests read ../shared beside the tree; mutmut runs them from dest/mutants."""
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (dest / "shared").symlink_to(shared)


def configure(dest: Path, modules: list[str], tests: list[str]) -> None:
    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    with (dest / "pyproject.toml").open("a", encoding="utf-8") as out:
        out.write(f"""
[tool.mutmut]
source_paths = ["scanner/", "reports/"]
also_copy = ["rules/", "bench/"]
only_mutate = {toml_list(modules)}
pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q"]
pytest_add_cli_args_test_selection = {toml_list(tests)}
""")


def mutmut(dest: Path, *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=dest, text=True,
                         capture_output=True, env={**os.environ, "PYTHONPATH": str(dest)})
    if run.returncode != 0 and args[0] != "run":
        sys.exit(f"mutmut {args[0]} failed:\n{run.stdout}\n{run.stderr}")
    if args[0] == "run" and "failed to collect stats" in run.stdout + run.stderr:
        sys.exit(f"mutmut could not run the tests:\n{(run.stdout + run.stderr)[-3000:]}")
    return run.stdout


def load_equivalents() -> list[tuple[str, str, str]]:
    """(function, mutated line, reason) triples: `function :: mutated line :: reason`."""
    out = []
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            function, mutated, reason = (part.strip() for part in line.split(" :: ", 2))
            out.append((function, mutated, reason))
    return out


def added_lines(dest: Path, mutant: str) -> list[str]:
    diff = mutmut(dest, "show", mutant)
    return [line[1:].strip() for line in diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument("modules", nargs="*", help="only these modules (default: all)")
    args = parser.parse_args()
    modules = args.modules or [m for m in MODULES if (ROOT / m).exists()]
    tests = [t for t in TESTS if (ROOT / t).exists()]
    scratch = Path(tempfile.mkdtemp(prefix="rempart-mutation-"))
    try:
        copy_tree(scratch)
        link_shared(scratch)
        configure(scratch, modules, tests)
        print(f"mutmut on {len(modules)} modules, tests: {' '.join(tests)}", flush=True)
        mutmut(scratch, "run", "--max-children", str(os.cpu_count() or 2))
        return report(scratch, modules)
    finally:
        if args.keep:
            print(f"scratch copy kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def report(scratch: Path, modules: list[str]) -> int:
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[tuple[str, str]] = []
    for line in mutmut(scratch, "results", "--all", "true").splitlines():
        m = re.match(r"\s*(\S+?)__mutmut_\d+: (.+)$", line)
        if not m:
            continue
        name, status = line.strip().rsplit(": ", 1)[0], m.group(2)
        function = m.group(1)
        module = _module_of(function, modules)
        statuses[module][status] += 1
        if status not in DETECTED and status != "skipped":
            survivors.append((name, function))
    equivalents = load_equivalents()
    explained: Counter[str] = Counter()
    unexplained: list[str] = []
    for name, function in survivors:
        plain = function.replace(".x_", ".", 1)
        lines = added_lines(scratch, name)
        shown = lines or ["(line removed)"]
        reason = next((r for f, mutated, r in equivalents
                       if f == plain and any(mutated == line for line in shown)), None)
        if reason is None:
            unexplained.append(f"  {name}: + {' | '.join(shown)}")
        else:
            explained[_module_of(plain, modules)] += 1
    failed = bool(unexplained)
    print(f"\n{'module':<34} {'mutants':>7} {'killed':>7} {'equiv.':>7} {'other':>6} {'score':>7}")
    for module in modules:
        counts = statuses.get(module, Counter())
        total = sum(n for s, n in counts.items() if s != "skipped")
        killed = sum(counts[s] for s in DETECTED)
        score = killed / (total - explained[module]) if total - explained[module] else 1.0
        failed |= score < TARGET
        print(f"{module:<34} {total:>7} {killed:>7} {explained[module]:>7} "
              f"{total - killed - explained[module]:>6} {score:>7.1%}")
    print("(score: killed / (mutants - listed equivalents); target "
          f"{TARGET:.0%} per module)")
    if unexplained:
        print("\nsurviving mutants with no test and no listed reason:")
        print("\n".join(unexplained))
    return 1 if failed else 0


def _dotted(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def _module_of(function: str, modules: list[str]) -> str:
    return next((m for m in modules if function.startswith(_dotted(m) + ".")), "?")


if __name__ == "__main__":
    sys.exit(main())
