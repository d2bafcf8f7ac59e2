"""The console summary: what did not pass, in order, with totals, verdict and inert server text."""

from __future__ import annotations

from reports.console import MAX_CELL, render_console
from scanner.models import Message, MessageKey, RuleResult, ScanResult
from tests.reports.sample import make_sample_result

WIDE = 400  # wide enough that no cell wraps


def _rows(text: str) -> list[str]:
    """Table rows that start a result (their first column is a service key)."""
    return [line for line in text.splitlines() if line.startswith((" portal:", " mail:",
                                                                   " legacy-api:"))]


def _only(result: ScanResult, *results: RuleResult) -> ScanResult:
    return result.model_copy(update={"results": results})


def _pick(result: ScanResult, rule_id: str, service: str) -> RuleResult:
    return next(r for r in result.results if r.rule_id == rule_id and r.service == service)


def test_non_pass_results_sorted_by_status_then_severity() -> None:
    rows = _rows(render_console(make_sample_result(), width=WIDE))
    assert len(rows) == 9  # 7 fail, 1 error, 1 not applicable; no pass
    statuses = [row.split()[3] for row in rows]
    assert statuses == ["fail"] * 7 + ["error", "n/a"]
    severities = [row.split()[2] for row in rows[:7]]
    assert severities == ["critical", "high", "high", "high", "medium", "medium", "info"]
    assert rows[0].split()[:2] == ["legacy-api:8443/tls", "TLS-PROTO-001"]


def test_header_columns() -> None:
    text = render_console(make_sample_result())
    header = next(line for line in text.splitlines() if line.split()[:1] == ["service"])
    assert header.split() == ["service", "rule", "severity", "status", "message"]


def test_verbose_shows_passes_too() -> None:
    result = make_sample_result()
    quiet = render_console(result, width=WIDE)
    loud = render_console(result, verbose=True, width=WIDE)
    passed = "tls.protocols: expected none of SSLv2, SSLv3; found TLSv1.2, TLSv1.3"
    assert passed not in quiet
    assert passed in loud
    assert len(_rows(loud)) == len(result.results)
    statuses = [row.split()[3] for row in _rows(loud)]
    assert statuses == sorted(statuses, key=["fail", "error", "pass", "n/a"].index)


def test_fail_rows_show_expected_and_actual() -> None:
    text = render_console(make_sample_result(), width=WIDE)
    assert "tls.weak_suites: expected none of 3des; found 3des" in text
    assert "3des: TLS_RSA_WITH_3DES_EDE_CBC_SHA under TLSv1.0" in text
    assert "connection timed out after 5.0 s" in text
    assert "actual" not in text  # each condition once (issue 11: not "found" then "actual")
    assert text.count("expected none of 3des; found 3des") == 1


def test_totals_and_verdict() -> None:
    lines = render_console(make_sample_result()).splitlines()
    assert lines[-2] == "Totals: 7 fail, 1 error, 12 pass, 1 not applicable"
    assert lines[-1] == "Verdict: FAIL (7 checks failed, 1 check could not be run)"


def test_verdict_incomplete_and_pass() -> None:
    result = make_sample_result()
    error = _pick(result, "TLS-GROUP-002", "legacy-api:8443/tls")
    passed = _pick(result, "TLS-PROTO-001", "portal:443/https")
    incomplete = render_console(_only(result, error, passed)).splitlines()
    assert incomplete[-1] == "Verdict: INCOMPLETE (no failure, 1 check could not be run)"
    clean = render_console(_only(result, passed))
    assert "Nothing to report" in clean
    assert clean.splitlines()[-1] == "Verdict: PASS (1 check passed)"


def test_hostile_text_is_not_markup_and_loses_control_characters() -> None:
    result = make_sample_result()
    bad = _pick(result, "CERT-TRUST-001", "legacy-api:8443/tls").model_copy(update={
        "message": Message(key=MessageKey.LEGACY,
                           text="[bold red]boom[/bold red] [link=http://x]y[/link] :smile: "
                                "\x1b[2J\x1b]8;;http://evil\x07z\r\nnext\x00\x9b"),
    })
    for color in (False, True):
        text = render_console(_only(result, bad), width=WIDE, color=color)
        assert "[bold red]boom[/bold red]" in text
        assert "[link=http://x]y[/link]" in text
        assert ":smile:" in text
        assert "\x1b[2J" not in text and "\x1b]8" not in text
        assert "\x07" not in text and "\x00" not in text and "\x9b" not in text
        assert "\r" not in text
    plain = render_console(_only(result, bad), width=WIDE)
    assert "\x1b" not in plain


def test_hostile_certificate_subject_is_shown_verbatim() -> None:
    text = render_console(make_sample_result(), width=WIDE)
    assert 'CN=<script>alert(1)</script>,O="><img src=x onerror=alert(2)>' in text


def test_huge_message_is_clipped_quickly() -> None:
    result = make_sample_result()
    huge = _pick(result, "TLS-PROTO-002", "mail:25/smtp").model_copy(
        update={"message": Message(key=MessageKey.LEGACY, text="B" * 65_536)}
    )
    text = render_console(_only(result, huge), width=WIDE)
    row = _rows(text)[0]
    assert "B" * (MAX_CELL - 40) in row
    assert "B" * MAX_CELL not in row
    assert row.endswith("… [clipped, 65536 characters in all]")
    french = _rows(render_console(_only(result, huge), width=WIDE, lang="fr"))[0]
    assert french.endswith("… [coupé, 65536 caractères en tout]")


def test_lines_fit_the_width() -> None:
    for width in (80, 100, 140):
        text = render_console(make_sample_result(), verbose=True, width=width)
        assert max(len(line) for line in text.splitlines()) <= width


def test_color_adds_styles_only_when_asked() -> None:
    result = make_sample_result()
    assert "\x1b[" not in render_console(result)
    assert "\x1b[" in render_console(result, color=True)
