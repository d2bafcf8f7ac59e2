"""scripts/po_add_from_dicts.py moves strings written in the old i18n dicts into the catalogues."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
OLD = '''
_EN: dict[str, str] = {"report.title": "Compliance audit report", "new.key": "Page {n}"}
_FR: dict[str, str] = {"report.title": "Rapport", "new.key": "Page {n} \\u00a0!"}
_CONTROLS: dict[str, dict[str, str]] = {"en": {"A.9.99": "New control"},
                                        "fr": {"A.9.99": "Nouvelle mesure"}}
'''


def _messages(po: Path) -> dict[str, str]:
    with po.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if isinstance(m.id, str) and m.id
                and isinstance(m.string, str)}


def test_new_keys_are_appended_and_known_ones_left_alone(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("po_add", ROOT / "scripts/po_add_from_dicts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "reports/locale", locale)
    old = tmp_path / "i18n.py"
    old.write_text(OLD, encoding="utf-8")
    assert module.main([str(old), str(locale)]) == 0
    en = _messages(locale / "en/LC_MESSAGES/rempart.po")
    fr = _messages(locale / "fr/LC_MESSAGES/rempart.po")
    assert en["new.key"] == "Page {n}" and fr["new.key"] == "Page {n} \u00a0!"
    assert fr["control.A.9.99"] == "Nouvelle mesure"
    assert en["report.title"] == "Compliance audit report"  # not added twice, not changed
    assert fr["report.title"] == "Rapport d'audit de conformité"
    assert "new.key" in _messages(locale / "rempart.pot")
