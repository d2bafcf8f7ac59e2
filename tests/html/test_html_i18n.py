"""The message catalogue: both languages have the same keys, placeholders, and cover templates."""

from __future__ import annotations

import re
import string
from pathlib import Path

from reports import i18n
from reports.coverage import Coverage
from reports.html_format import Formats
from scanner.models import ProbeStatus, Severity, Status, WaiverState

TEMPLATES = Path(i18n.__file__).parent / "templates"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_languages_have_the_same_keys() -> None:
    assert set(i18n.LANGS) == set(i18n.MESSAGES)
    assert set(i18n.MESSAGES["en"]) == set(i18n.MESSAGES["fr"])


def test_placeholders_match() -> None:
    en, fr = i18n.MESSAGES["en"], i18n.MESSAGES["fr"]
    assert [k for k in en if _placeholders(en[k]) != _placeholders(fr.get(k, ""))] == []


def test_every_key_the_templates_use_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.j2"):
        used |= set(re.findall(r'\bt\("([a-z0-9_.-]+)"', template.read_text(encoding="utf-8")))
    dynamic = {k for k in used if k.endswith(".")}
    assert used - dynamic <= set(i18n.MESSAGES["en"])
    assert dynamic == {"status.", "severity.", "probe.", "verdict.", "coverage.", "policy.by.",
                       "policy.state."}
    expected = (
        {f"status.{s.value}" for s in Status} | {"status.none"}
        | {f"severity.{s.value}" for s in Severity}
        | {f"probe.{s.value}" for s in ProbeStatus}
        | {f"coverage.{c.value}" for c in Coverage}
        | {f"policy.state.{s.value}" for s in WaiverState}
        | {f"policy.by.{by}" for by in ("pack", "skip-rule")}
        | {f"verdict.{v}{suffix}" for v in ("non_compliant", "incomplete", "compliant")
           for suffix in ("", ".explain")}
    )
    assert expected <= set(i18n.MESSAGES["en"])


def test_french_texts_are_translated() -> None:
    same = {k for k, v in i18n.MESSAGES["en"].items() if i18n.MESSAGES["fr"][k] == v
            and re.search(r"[A-Za-z]{2}", re.sub(r"\{\w+\}", "", v))}  # words, not just values
    assert same <= {"col.services", "col.service", "col.version", "col.total", "severity.info",
                    "col.detail", "cert.signature", "op.equals", "console.col.service",
                    "console.col.message"}


def test_control_titles_in_both_languages() -> None:
    assert i18n.control_title("en", "iso27001", "A.8.24") == "Use of cryptography"
    assert i18n.control_title("fr", "iso27001", "A.8.24") == "Utilisation de la cryptographie"
    assert i18n.control_title("fr", "hds", "A.8.24") is None  # HDS has no ISO numbers
    assert i18n.control_title("en", "soc2", "CC6.7") == \
        "Restricted and protected transmission of information"
    assert i18n.control_title("fr", "anssi-tls", "A.8.24") is None
    assert i18n.framework_name("fr", "custom-framework") == "custom-framework"


def test_babel_formats_dates_in_the_locale() -> None:
    from datetime import UTC, date, datetime

    moment = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert Formats("fr").datetime(moment).startswith("3 mars 2025")
    assert Formats("fr").date(date(2027, 6, 30)) == "30 juin 2027"
    assert Formats("en").date(date(2027, 6, 30)) == "June 30, 2027"
    assert Formats("fr").number(65536) == "65\u202f536"


def test_plural_forms_follow_each_language() -> None:
    assert i18n.ntranslate("en", "console.failed", 1) == "1 check failed"
    assert i18n.ntranslate("en", "console.failed", 0) == "0 checks failed"
    assert i18n.ntranslate("fr", "console.failed", 0) == "0 contrôle en échec"  # 0: singular
    assert i18n.ntranslate("fr", "console.failed", 1) == "1 contrôle en échec"
    assert i18n.ntranslate("fr", "console.failed", 2) == "2 contrôles en échec"


def _po_ids(path: Path) -> set[str]:
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _po_ids_text(text: str) -> set[str]:
    from io import BytesIO

    from babel.messages.pofile import read_po

    return {m.id if isinstance(m.id, str) else m.id[0]
            for m in read_po(BytesIO(text.encode("utf-8"))) if m.id}


def test_template_and_catalogues_hold_the_same_messages() -> None:
    locale = Path(i18n.__file__).parent / "locale"
    assert _po_ids_text(i18n.template()) == _po_ids(locale / "rempart.pot")
    template = _po_ids(locale / "rempart.pot")
    for lang in i18n.LANGS:
        assert _po_ids(locale / lang / "LC_MESSAGES" / "rempart.po") == template, (
            lang, "regenerate: python -m reports.i18n --template > reports/locale/rempart.pot")


def test_every_wording_key_exists() -> None:
    """Keys the formatters build at run time: operators, unknowns, messages, categories."""
    from scanner.models import MessageKey, ReasonCategory, Unknown
    from scanner.rulepack.operators import OPERATORS

    keys = ({f"op.{name}" for name in OPERATORS if name != "empty"}
            | {"op.empty.true", "op.empty.false"}
            | {f"unknown.{u.value}" for u in Unknown}
            | {f"msg.{k.value}" for k in MessageKey if k is not MessageKey.LEGACY}
            | {f"console.status.{s.value}" for s in Status}
            | {f"console.total.{s.value}" for s in Status}
            | {f"category.{c.value}" for c in ReasonCategory})
    for lang in i18n.LANGS:
        assert keys <= set(i18n.MESSAGES[lang]), (lang, keys - set(i18n.MESSAGES[lang]))


def test_results_are_worded_in_the_report_language() -> None:
    """Operators, values and failure categories come from the catalogue; evidence stays as is."""
    from reports.html import render_html
    from tests.reports.sample import TIMEOUT_REASON, make_sample_result

    fr = render_html(make_sample_result(), lang="fr")
    assert "aucun de TLSv1.0, TLSv1.1" in fr
    assert "au plus tôt le 30 juin 2027, 23:59:59 UTC (fin du contrat)" in fr
    assert f'délai dépassé\u00a0: <span class="data" lang="en">{TIMEOUT_REASON}</span>' in fr
    en = render_html(make_sample_result(), lang="en")
    assert "none of TLSv1.0, TLSv1.1" in en
    assert f'timeout: <span class="data">{TIMEOUT_REASON}</span>' in en
