"""The rendered HTML report: contents and order, escaping, self-containment, languages."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reports.html import main, render_html
from reports.html_format import CLIP_CHARS
from scanner.models import ScanResult, Status
from tests.html.parse import parse, part_ids, section
from tests.reports.sample import BANNER_SIZE, HOSTILE_SUBJECT

PARTS = ["summary", "soa", "matrix", "traceability", "findings", "unchecked", "appendix"]


def test_parts_come_in_the_required_order(html_en: str) -> None:
    assert part_ids(html_en) == PARTS
    assert html_en.index('id="cover"') < html_en.index('id="summary"')


def test_hostile_server_text_is_escaped_not_markup(html_en: str) -> None:
    parsed = parse(html_en)
    # The report itself has no script or image: any such element would come from the data.
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not [name for _, name, _ in parsed.attrs if name.startswith("on")]
    assert HOSTILE_SUBJECT in parsed.all_text  # shown to the reader, as text
    assert "<script>alert(1)</script>" not in html_en
    assert '"><img src=x onerror=alert(2)>' not in html_en
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_en
    assert "{{ jinja }}" in parsed.all_text  # server text is never treated as a template


def test_control_characters_of_a_banner_become_visible_escapes(html_en: str) -> None:
    assert "\x1b" not in html_en and "\x07" not in html_en
    assert "\\x1b[31m[bold red]not markup[/bold red]\\x07" in parse(html_en).all_text


def test_very_long_server_text_is_cut_with_a_note(html_en: str) -> None:
    assert len(html_en) < BANNER_SIZE * 2  # the 64 KB banner appears twice, cut each time
    assert "X-PADDING-00001" in html_en
    assert "X-PADDING-00900" not in html_en
    assert re.search(r"\[… [\d,]+ more characters, see the JSON result\]", html_en)
    assert f"X-PADDING-{CLIP_CHARS // 80 + 2:05d}" not in html_en


def test_one_self_contained_file(html_en: str) -> None:
    parsed = parse(html_en)
    assert not {"link", "iframe", "object", "embed", "img", "script", "base"} & set(parsed.tags)
    for tag, name, value in parsed.attrs:
        if name == "href":
            assert value is not None and value.startswith("#"), (tag, value)
        assert name not in ("src", "srcset", "poster", "action", "formaction"), (tag, name)
        if name == "xmlns":
            assert value == "http://www.w3.org/2000/svg"  # a namespace, never fetched
    assert "url(" not in parsed.style and "@import" not in parsed.style
    assert "@media print" in parsed.style


def test_csp_allows_only_the_inline_stylesheet(html_en: str) -> None:
    parsed = parse(html_en)
    csp = next(v for t, n, v in parsed.attrs if t == "meta" and n == "content"
               and v and v.startswith("default-src"))
    digest = base64.b64encode(hashlib.sha256(parsed.style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "script" not in csp


def test_ids_are_unique_and_links_resolve(html_en: str) -> None:
    parsed = parse(html_en)
    assert len(parsed.ids) == len(set(parsed.ids))
    targets = {v[1:] for _, n, v in parsed.attrs if n == "href" and v}
    assert targets <= set(parsed.ids)


def test_cover_shows_scope_packs_and_contract(html_en: str, sample: ScanResult) -> None:
    cover = parse(section(html_en, "cover")).all_text
    assert "Clinique Exemple" in cover
    assert "June 30, 2027" in cover  # the operator-supplied contract end
    assert re.search(r"Mar 3, 2025, 8:00:00\sAM UTC", cover)  # Babel, English locale
    assert "rempart 0.1.0" in cover
    for network in sample.inventory.scope:
        assert network in cover
    for pack in sample.packs:
        assert pack.version in cover and pack.sha256 in cover
    assert "8443/tls" in cover


def test_summary_counts_and_verdict(html_en: str, sample: ScanResult) -> None:
    summary = section(html_en, "summary")
    text = parse(summary).all_text
    assert "Non-compliant" in text
    fails = sum(r.status is Status.FAIL for r in sample.results)
    assert f"Failed checks: {fails}." in text
    assert summary.count('role="img"') == 2  # the charts, each with a title and description
    assert "<title id=" in summary and "<desc id=" in summary
    assert "<table" in summary  # the text alternative of the charts


def test_errors_have_their_own_section_never_among_findings(html_en: str) -> None:
    unchecked = parse(section(html_en, "unchecked")).all_text
    findings = parse(section(html_en, "findings")).all_text
    assert "TLS-GROUP-002" in unchecked and "connection timed out after 5.0 s" in unchecked
    assert "TLS-GROUP-002" not in findings
    assert "tls" in unchecked  # the probe that did not complete


def test_findings_show_evidence_rationale_and_remediation(html_en: str) -> None:
    findings = parse(section(html_en, "findings")).all_text
    assert "none of TLSv1.0, TLSv1.1" in findings  # expected
    assert "TLSv1.0, TLSv1.1" in findings  # actual
    assert "Sweet32" in findings and "Remove every *_3DES_EDE_CBC_* suite" in findings
    assert "REQ-TLS-02" in findings and "ISO 27001\u00a0A.8.24" in findings


def test_matrix_and_traceability(html_en: str) -> None:
    matrix = parse(section(html_en, "matrix")).all_text
    assert "A.8.24" in matrix and "Use of cryptography" in matrix and "A.5.36" in matrix
    assert "§ 2.1" in matrix
    trace = parse(section(html_en, "traceability")).all_text
    assert "Livre blanc Self Help - SaaS" in trace and "REQ-TLS-03" in trace
    assert "No automated check" in trace  # REQ-TLS-03 has no rule in the sample


def test_appendix_has_facts_and_probe_runs(html_en: str) -> None:
    appendix = parse(section(html_en, "appendix")).all_text
    assert "Chain certificate 2" in appendix and "CN=Exemple Issuing CA R3" in appendix
    assert "secp521r1" in appendix and "17.5\u00a0s" in appendix
    assert "inventory.yaml:32" in appendix


def test_french_report(html_fr: str) -> None:
    text = parse(html_fr).all_text
    assert '<html lang="fr">' in html_fr
    assert "Synthèse" in text and "Ce qui n'a pas pu être vérifié" in text
    assert "SSL 2.0 et SSL 3.0 sont refusés." in text  # requirement text from the pack
    assert "N'autoriser que TLS 1.2 et TLS 1.3." in text  # remediation from the rule
    assert "30 juin 2027" in text and "3 mars 2025" in text
    assert "Non conforme" in text


def test_missing_translation_falls_back_to_english(sample: ScanResult) -> None:
    rule = sample.rules[1]
    patched = rule.model_copy(update={"remediation": {"en": "English only remedy."}})
    rules = tuple(patched if r.id == rule.id else r for r in sample.rules)
    html = render_html(sample.model_copy(update={"rules": rules}), lang="fr")
    assert "English only remedy." in html


def test_unknown_language_is_refused(sample: ScanResult) -> None:
    with pytest.raises(ValueError, match="unsupported report language"):
        render_html(sample, lang="de")


def test_rendering_is_deterministic(sample: ScanResult, html_en: str) -> None:
    assert render_html(sample) == html_en


def test_empty_scan_renders(sample: ScanResult) -> None:
    empty = sample.model_copy(update={"results": (), "services": (), "rules": ()})
    text = parse(render_html(empty)).all_text
    assert "Incomplete" in text and "No check failed." in text


def test_cli_renders_a_saved_result(tmp_path: Path, sample: ScanResult) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(sample.model_dump_json(), encoding="utf-8")
    assert main([str(saved), str(tmp_path / "en.html")]) == 0
    assert "Executive summary" in (tmp_path / "en.html").read_text(encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "reports.html", str(saved), str(tmp_path / "fr.html"),
         "--lang", "fr"], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert '<html lang="fr">' in (tmp_path / "fr.html").read_text(encoding="utf-8")
    assert main([str(tmp_path / "missing.json"), str(tmp_path / "x.html")]) == 2
