"""Add messages written as Python dicts (the old reports/i18n.py `_EN`/`_FR`) to the catalogues.

For branches that added report strings to the dicts before the move to Babel catalogues:

    git show <your-branch>:reports/i18n.py > /tmp/old_i18n.py
    .venv/bin/python scripts/po_add_from_dicts.py /tmp/old_i18n.py

Keys already in the English catalogue are left alone; new ones are appended to
reports/locale/{en,fr}/LC_MESSAGES/rempart.po and to the template rempart.pot. Per-language title
tables (`_CONTROLS = {"en": {...}, "fr": {...}}`, `_SOC2`, ...) become keys `control.<id>`,
`soc2.<id>`, ... (reports/i18n.control_title reads `control.<id>`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.pofile import escape, read_po

LOCALE = Path(__file__).resolve().parents[1] / "reports" / "locale"


def _dicts(source: str) -> tuple[dict[str, str], dict[str, str]]:
    """English and French messages of a Python file's dict literals, read without running it."""
    en: dict[str, str] = {}
    fr: dict[str, str] = {}
    for node in ast.parse(source).body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            data = ast.literal_eval(value)
        except ValueError:
            continue
        if target.id in ("_EN", "_FR"):
            (en if target.id == "_EN" else fr).update(data)
        elif isinstance(data, dict) and set(data) == {"en", "fr"}:  # per-language title table
            prefix = "control" if target.id == "_CONTROLS" else target.id.strip("_").lower()
            en.update({f"{prefix}.{k}": v for k, v in data["en"].items()})
            fr.update({f"{prefix}.{k}": v for k, v in data["fr"].items()})
    return en, fr


def _known(po: Path) -> set[str]:
    with po.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def main(argv: list[str]) -> int:
    """argv: the old i18n.py, and optionally the locale folder (default: reports/locale)."""
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    locale = Path(argv[1]) if len(argv) == 2 else LOCALE
    en, fr = _dicts(Path(argv[0]).read_text(encoding="utf-8"))
    new = [k for k in en if k not in _known(locale / "en" / "LC_MESSAGES" / "rempart.po")]
    targets: dict[Path, dict[str, str]] = {locale / "en" / "LC_MESSAGES" / "rempart.po": en,
                                           locale / "fr" / "LC_MESSAGES" / "rempart.po": fr,
                                           locale / "rempart.pot": {}}
    for path, texts in targets.items():
        with path.open("a", encoding="utf-8") as out:
            for key in new:
                out.write(f"\nmsgid {escape(key)}\nmsgstr {escape(texts.get(key, ''))}\n")
    print(f"added {len(new)} message(s): {', '.join(new) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
