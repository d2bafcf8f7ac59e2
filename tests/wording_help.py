"""Facts' summaries as the English report words them (tests read them as text)."""

from __future__ import annotations

from reports.wording import Wording
from scanner.models import Fact, Phrase, summary


def how(fact: Fact | None) -> str:
    """The fact's summary in English ("" without a fact)."""
    return Wording("en").how(fact.summary) if fact is not None else ""


def said(phrase: Phrase) -> str:
    """One phrase in English."""
    return Wording("en").how(summary(phrase))
