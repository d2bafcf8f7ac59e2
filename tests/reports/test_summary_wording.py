"""Probe summaries are message keys with typed values, worded by the formatters."""

from __future__ import annotations

import json

from reports import i18n
from reports.json_report import load_json, render_json
from reports.wording import Wording
from scanner.models import Fact, ProbeStatus, Summary, say, summary
from tests.reports.sample import make_sample_result

HOSTILE = '<script>alert("x")</script>'


def _versions(handshakes: int) -> Summary:
    steps = [say("summary.tls.version_step", say("summary.hello.refused", reason=HOSTILE),
                 version="TLSv1.0")]
    return summary(say("summary.tls.versions", *steps, n=handshakes),
                   say("summary.tls.weak.stopped"))


def test_a_summary_is_worded_in_each_language_with_plural_forms() -> None:
    en, fr = Wording("en"), Wording("fr")
    assert en.how(_versions(1)) == (
        f"one hello per version, newest first (1 handshake): TLSv1.0: refused ({HOSTILE}); "
        "stopped: no further category to find")
    assert "(6 handshakes)" in en.how(_versions(6))
    assert fr.how(_versions(1)).startswith(
        "un hello par version, de la plus récente à la plus ancienne (1 négociation)\u00a0: "
        "TLSv1.0\u00a0: refusé (")
    assert "(6 négociations)" in fr.how(_versions(6))
    assert "\u202f; arrêt\u00a0: plus aucune catégorie à trouver" in fr.how(_versions(1))


def test_steps_join_with_the_phrase_joiner() -> None:
    groups = say("summary.tls.groups.others", say("summary.tls.groups.pool_accepted", group="a"),
                 say("summary.tls.groups.none_left"), join="then")
    assert Wording("en").how(summary(groups)) == \
        "the other groups together: a accepted, then none left"
    assert Wording("fr").how(summary(groups)) == \
        "les autres groupes ensemble\u00a0: a accepté, puis plus aucun"


def test_html_escapes_and_marks_the_values_only() -> None:
    html = str(Wording("fr").how_html(_versions(2)))
    assert HOSTILE not in html
    assert '<span class="data">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</span>' in html
    assert '<span class="data">TLSv1.0</span>' in html
    assert 'lang="en"' not in html and "négociations" in html


def test_numbers_follow_the_locale() -> None:
    rate = summary(say("summary.ports.counts", scanned=65535, open=1, filtered=0, closed=65534))
    assert Wording("en").how(rate).startswith("65,535 scanned, 1 open")
    assert Wording("fr").how(rate).startswith("65\u202f535 sondés")


def test_every_summary_key_is_in_both_catalogues_with_the_same_placeholders() -> None:
    keys = {k for k in i18n.MESSAGES["en"] if k.startswith("summary.")}
    assert len(keys) > 50
    for key in ("summary.tls.versions", "summary.ports.runs", "summary.tls.weak.offered"):
        for lang in i18n.LANGS:  # plural messages: both forms, in both languages
            one, many = i18n.raw(lang, key, 1), i18n.raw(lang, key, 5)
            assert "{n}" in one and "{n}" in many and one != many


def test_a_text_summary_of_an_older_result_still_reads_and_renders() -> None:
    result = make_sample_result()
    data = json.loads(render_json(result))
    data["services"][0]["facts"][0]["summary"] = "established the old way"
    again = load_json(json.dumps(data))
    fact = again.services[0].facts[0]
    assert fact.summary == Summary(text="established the old way")
    assert Wording("fr").how(fact.summary) == "established the old way"  # kept as recorded


def test_a_structured_summary_survives_the_json_round_trip() -> None:
    result = make_sample_result()
    report = result.services[0]
    fact = Fact(name="tls.protocols", status=ProbeStatus.COMPLETED, summary=_versions(3))
    changed = result.model_copy(update={"services": (
        report.model_copy(update={"facts": (fact, *report.facts[1:])}),
        *result.services[1:])})
    again = load_json(render_json(changed))
    assert again.services[0].facts[0].summary == _versions(3)


def test_every_key_the_probes_name_is_in_the_catalogues() -> None:
    """Literal `summary.*` / `reason.*` keys in scanner/; an f-string's literal head must
    start at least one key (e.g. f"summary.hello.{status}")."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "scanner"
    keys = set(i18n.MESSAGES["en"]) | _plural_keys()
    named = {m.group(2) for path in root.rglob("*.py")
             for m in re.finditer(r'(f?)"((?:summary|reason)\.[a-z0-9_.]*)',
                                  path.read_text(encoding="utf-8"))}
    assert len(named) > 100
    unknown = {k for k in named if k not in keys and not any(x.startswith(k) for x in keys)}
    assert unknown == set()


def _plural_keys() -> set[str]:
    from importlib import resources

    from babel.messages.pofile import read_po

    po = resources.files("reports").joinpath("locale/en/LC_MESSAGES/rempart.po")
    return {m.id[0] for m in read_po(po.open("rb")) if isinstance(m.id, tuple)}


def test_a_fixed_reason_is_worded_in_the_report_language() -> None:
    from scanner.models import ReasonCategory

    fact = Fact(name="http.status", status=ProbeStatus.ERROR, category=ReasonCategory.TIMEOUT,
                reason="connection to 203.0.113.5:80 timed out",
                why=say("reason.connect.timeout", where="203.0.113.5:80"))
    en, fr = Wording("en"), Wording("fr")
    assert en.reason(fact) == "timeout: connection to 203.0.113.5:80 timed out"
    assert fr.reason_parts(fact)[1] == "la connexion à 203.0.113.5:80 n'a pas abouti à temps"
    html = str(fr.reason_html(fact))
    assert html.startswith("délai dépassé\u00a0: la connexion à <span class=\"data\">")
    assert 'lang="en"' not in html
    bare = fact.model_copy(update={"why": None})  # the probe's own words: data, marked English
    assert 'class="data" lang="en">connection to 203.0.113.5:80 timed out' in \
        str(fr.reason_html(bare))


def test_decisive_values_are_data_and_their_details_are_worded() -> None:
    from scanner.models import Evidence, Observation

    ev = Evidence(fact="flows.open", operator="none_of", decisive=(
        Observation(value="web1:22/tcp", detail="connect from local succeeded in 3 ms",
                    said=say("obs.flows.connect_ms", vantage="local", ms=3)),
        Observation(value="web1:80/tcp", detail=HOSTILE)), missing=("web1:443/tcp",))
    assert Wording("en").decisive(ev) == [
        "web1:22/tcp: connect from local succeeded in 3 ms", f"web1:80/tcp: {HOSTILE}",
        "missing: web1:443/tcp"]
    fr = [str(line) for line in Wording("fr").decisive_html(ev)]
    assert fr[0] == ('<span class="data">web1:22/tcp</span>\u00a0: connexion depuis '
                     '<span class="data">local</span> réussie en 3 ms')
    assert fr[1] == ('<span class="data">web1:80/tcp</span>\u00a0: <span class="data" lang="en">'
                     '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</span>')
    assert 'lang="en"' not in fr[2] and '<span class="data">web1:443/tcp</span>' in fr[2]
