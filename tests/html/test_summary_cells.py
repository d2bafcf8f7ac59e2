"""The French report's "how" cells: the check the demo test applies can fail, and passes only
when probe summaries are keyed (a text summary is English, marked as such)."""

from __future__ import annotations

from reports.html import render_html
from scanner.models import ScanResult, Summary, say, summary
from tests.html.english import english_words, how_cells
from tests.reports.sample import make_sample_result


def _with_summaries(result: ScanResult, how: Summary) -> ScanResult:
    services = tuple(
        report.model_copy(update={"facts": tuple(
            f.model_copy(update={"summary": how}) for f in report.facts)})
        for report in result.services)
    return result.model_copy(update={"services": services})


def test_a_text_summary_is_caught_in_the_french_report() -> None:
    text = Summary(text="one hello per version, the server accepted every hello offered")
    fr = render_html(_with_summaries(make_sample_result(), text), lang="fr")
    cells = how_cells(fr)
    assert cells and all('lang="en"' in c for c in cells)  # what the demo test refuses
    plain = [c.replace(' lang="en"', "").replace('class="data"', "") for c in cells]
    assert "accepted" in english_words("".join(plain))  # and the detector sees its English


def test_a_keyed_summary_is_french_in_the_french_report() -> None:
    keyed = summary(say("summary.tls.versions",
                        say("summary.tls.version_step",
                            say("summary.hello.refused", reason="alert handshake_failure"),
                            version="TLSv1.0"), n=6))
    result = _with_summaries(make_sample_result(), keyed)
    fr, en = how_cells(render_html(result, lang="fr")), how_cells(render_html(result, lang="en"))
    assert len(fr) == len(en) > 3
    assert not [c for c in fr if 'lang="en"' in c]
    assert english_words("".join(fr)) == []
    assert "refusé" in fr[0] and "négociations" in fr[0]
    assert len(english_words("".join(en))) == 2 * len(en)  # "per" and "refused" in each
