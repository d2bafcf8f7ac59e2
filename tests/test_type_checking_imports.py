"""A name imported only for type checkers (`if TYPE_CHECKING:`) is not there at run time: code
that uses it must import it where it runs (that is how heavy libraries stay out of start-up,
see tests/test_startup_imports.py). mypy cannot see such a slip; this walk of the source does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p for d in ("scanner", "reports", "bench") for p in (ROOT / d).rglob("*.py"))


def _type_checking_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                   "typing.TYPE_CHECKING"):
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Import | ast.ImportFrom):
                    names |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
    return names


def _imported(body: list[ast.stmt]) -> set[str]:
    """Names a function body imports itself (anywhere in it, nested blocks included)."""
    out: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Import | ast.ImportFrom):
                out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return out


def runtime_uses(tree: ast.Module, guarded: set[str]) -> list[str]:
    """`name (line)` of each run-time use of a guarded name without a local import."""
    found: list[str] = []

    def visit(node: ast.AST, local: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
            inner = local | _imported(body)
            if not isinstance(node, ast.Lambda):
                for dec in node.decorator_list:
                    visit(dec, local)
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:
                    visit(default, local)
            for stmt in body:
                visit(stmt, inner)
            return  # annotations are strings (from __future__ import annotations)
        if isinstance(node, ast.AnnAssign):
            for part in (node.target, node.value):
                if part is not None:
                    visit(part, local)
            return
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                   "typing.TYPE_CHECKING"):
            for stmt in node.orelse:
                visit(stmt, local)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id in guarded and node.id not in local:
            found.append(f"{node.id} (line {node.lineno})")
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(tree, frozenset())
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_type_checking_imports_are_imported_again_where_used(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = _type_checking_names(tree)
    if guarded:
        assert "annotations" in {a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                                 and n.module == "__future__" for a in n.names}
    assert runtime_uses(tree, guarded) == []


def test_the_walk_finds_a_use_without_a_local_import() -> None:
    source = ("from __future__ import annotations\n"
              "from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    import paramiko\n"
              "def ok(c: paramiko.SSHClient) -> paramiko.PKey:\n"
              "    import paramiko\n    return paramiko.PKey()\n"
              "def slip(exc: BaseException) -> bool:\n"
              "    return isinstance(exc, paramiko.SSHException)\n")
    tree = ast.parse(source)
    assert runtime_uses(tree, _type_checking_names(tree)) == ["paramiko (line 9)"]
