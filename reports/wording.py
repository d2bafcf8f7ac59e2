"""Results in words: a result's message key and typed evidence, phrased from the catalogues.

Every formatter (console, SARIF, HTML) phrases results here, in its language; the result itself
holds no prose. Text that came from the scanned servers or the probes' logs (observation details,
failure details) is passed through untouched: callers escape or clean it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports import i18n
from reports.html_format import Formats, clip, printable
from scanner.models import (
    Estate,
    Evidence,
    ExposedHost,
    Fact,
    FlagValue,
    InsideHost,
    ListValue,
    MailDomain,
    MessageKey,
    MomentValue,
    NetworkService,
    NumberValue,
    Observation,
    Phrase,
    ProbeRun,
    ReasonCategory,
    RuleInfo,
    RuleResult,
    ScanResult,
    Subject,
    Summary,
    TextValue,
    TypedValue,
    Unknown,
    ZonePair,
    summary,
)


@dataclass(frozen=True)
class Wording:
    lang: str

    def t(self, key: str, **params: object) -> str:
        return i18n.translate(self.lang, key, **params)

    @property
    def formats(self) -> Formats:
        return Formats(self.lang)

    # ---- values ----------------------------------------------------------------------------

    def value(self, value: TypedValue) -> str:
        match value:
            case FlagValue():
                return self.t("value.true" if value.flag else "value.false")
            case NumberValue():
                return self.formats.number(value.number)
            case MomentValue():
                return self.formats.datetime(value.moment)
            case ListValue():
                return ", ".join(str(v) for v in value.items) or self.t("value.empty")
            case TextValue():
                return value.text

    # ---- probe summaries ---------------------------------------------------------------------

    def how(self, summary: Summary) -> str:
        """How a fact was established, as plain text (older results: their English text)."""
        if summary.text:
            return summary.text
        return self.t("summary.sep").join(self.phrase(p, self.value, str) for p in summary.phrases)

    def how_html(self, summary: Summary) -> Markup:
        """`how` for HTML: the catalogue's words, each value escaped in a `data` span."""
        def value(v: TypedValue) -> str:
            if isinstance(v, NumberValue | MomentValue | FlagValue):
                return self.value(v)
            return Markup('<span class="data">{}</span>').format(printable(self.value(v)))
        sep = escape(self.t("summary.sep"))
        return sep.join(self.phrase(p, value, escape) for p in summary.phrases)

    def phrase(self, p: Phrase, value: Callable[[TypedValue], str],
               text: Callable[[str], str]) -> str:
        """One clause: its catalogue text (plural form chosen by its `n`), values filled in."""
        values = {name: value(v) for name, v in p.params.items()}
        values.update({name: self.phrase(c, value, text) for name, c in p.clauses.items()})
        if p.steps:
            values["steps"] = text(self.t(p.joiner)).join(
                self.phrase(s, value, text) for s in p.steps)
        n = p.params.get("n")
        count = int(n.number) if isinstance(n, NumberValue) else None
        return text(i18n.raw(self.lang, p.key, count)).format(**values)

    # ---- evidence --------------------------------------------------------------------------

    def expected(self, ev: Evidence) -> str:
        """E.g. `none of SSLv2, SSLv3` or `on or after the contract end date (30 June 2027)`."""
        if ev.legacy is not None:
            return ev.legacy[0]
        if ev.expected is None:
            return self.t("ref.missing", ref=ev.reference or "?")
        shown = self.value(ev.expected)
        if ev.reference in ("contract.end_date", "scan.time"):
            shown = self.t(f"ref.{ev.reference}", value=shown)
        elif ev.reference:
            shown = self.t("ref.context", ref=ev.reference, value=shown)
        if ev.operator == "empty":
            flag = isinstance(ev.expected, FlagValue) and ev.expected.flag
            text = self.t("op.empty.true" if flag else "op.empty.false")
        else:
            text = self.t(f"op.{ev.operator}", value=shown)
        if ev.excluded:
            text = self.t("ev.except", expected=text, values=", ".join(ev.excluded))
        return text

    def actual(self, ev: Evidence) -> str:
        if ev.legacy is not None:
            return ev.legacy[1]
        if ev.unknown is not None:
            return self.t(f"unknown.{ev.unknown.value}")
        return self.value(ev.actual) if ev.actual is not None else "—"

    def line(self, ev: Evidence) -> str:
        """`fact: expected …; found …`, for one-line outputs (console, SARIF)."""
        return self.t("ev.line", fact=ev.fact, expected=self.expected(ev), actual=self.actual(ev))

    def decisive(self, ev: Evidence) -> list[str]:
        """What decided, in the servers' and probes' own words, plus the values missing."""
        if ev.legacy is not None:
            return [ev.legacy[2]] if ev.legacy[2] else []
        out = [f"{o.value}: {self.detail(o)}" if o.detail or o.said else o.value
               for o in ev.decisive]
        if ev.missing:
            out.append(self.t("ev.missing", values=", ".join(ev.missing)))
        return out

    def decisive_html(self, ev: Evidence) -> list[Markup]:
        """`decisive` for HTML: values as data, details worded or as recorded."""
        if ev.legacy is not None:
            return [self.recorded(ev.legacy[2])] if ev.legacy[2] else []
        data = Markup('<span class="data">{}</span>')
        sep = escape(self.t("ev.reason.sep"))
        out = [data.format(printable(o.value)) + (sep + self.detail_html(o)
                                                  if o.detail or o.said else Markup(""))
               for o in ev.decisive]
        if ev.missing:
            out.append(escape(i18n.raw(self.lang, "ev.missing")).format(
                values=data.format(printable(", ".join(ev.missing)))))
        return out

    def detail(self, o: Observation) -> str:
        """What shows an observed value: worded from its message key, or the probe's words."""
        return self.how(summary(o.said)) if o.said else o.detail

    def detail_html(self, o: Observation) -> Markup:
        return self.how_html(summary(o.said)) if o.said else self.recorded(o.detail)

    def reason_parts(self, fact: Fact | ProbeRun | None) -> tuple[str, str]:
        """Why a fact is unknown (or a probe failed): its category in words ("" if none) and
        the detail: worded from its message key when the probe gave one, else as recorded."""
        if fact is None:
            return "", ""
        known = _category(fact)
        detail = self.how(summary(fact.why)) if fact.why else fact.reason or ""
        return (self.t(f"category.{known}") if known else ""), detail

    def reason_html(self, fact: Fact | ProbeRun | None) -> Markup:
        """`reason` for HTML: the category first, then the detail, worded (values as data) or,
        when the probe wrote it in its own words, as recorded data marked English."""
        if fact is None:
            return Markup("")
        category, detail = self.reason_parts(fact)
        if fact.why:
            worded = self.how_html(summary(fact.why))
        elif detail:
            worded = self.recorded(detail)
        else:
            worded = Markup("")
        if category and worded:
            return escape(category) + escape(self.t("ev.reason.sep")) + worded
        return escape(category) if category else worded

    def recorded(self, text: str) -> Markup:
        """Words a probe, server or tool wrote, as data (marked English in another language),
        cut when very long."""
        cut = clip(text)
        lang = Markup(' lang="en"') if self.lang != "en" else Markup("")
        out = Markup('<span class="data"{}>{}</span>').format(lang, printable(cut.text))
        if cut.omitted:
            out += Markup('<span class="clipped"> {}</span>').format(
                self.t("text.clipped", n=self.formats.number(cut.omitted)))
        return out

    def reason(self, fact: Fact | ProbeRun | None) -> str:
        """`category: detail` on one line (either part may be missing)."""
        category, detail = self.reason_parts(fact)
        if category and detail:
            return self.t("ev.reason", category=category, detail=detail)
        return category or detail

    def endpoint(self, subject: Subject) -> str:
        """What was reached, in words: a URL or address for network services, else a phrase."""
        match subject:
            case NetworkService():
                return subject.endpoint
            case ExposedHost() | InsideHost():
                where = subject.dns_name or subject.address or subject.host
                key = "endpoint.host" if isinstance(subject, ExposedHost) else "endpoint.inside"
                return self.t(key, where=where)
            case ZonePair():
                return self.t("endpoint.flow", pair=f"{subject.source} → {subject.destination}")
            case MailDomain():
                return self.t("endpoint.spf", domain=subject.domain)
            case Estate():
                return self.t("endpoint.estate")

    # ---- messages ------------------------------------------------------------------------

    def message(self, rr: RuleResult, result: ScanResult | None = None) -> str:
        """The result's message in words (empty for `checked`: the evidence says it)."""
        msg = rr.message
        match msg.key:
            case MessageKey.LEGACY:
                return msg.text
            case MessageKey.CHECKED:
                return ""
            case MessageKey.SUBJECT_NOT_COVERED:
                rule = _rule(result, rr.rule_id)
                applies = ", ".join(p.value for p in rule.applies_to) if rule else "?"
                return self.t("msg.subject_not_covered", protocol=_protocol(result, rr),
                              applies=applies)
            case MessageKey.FACT_NOT_FOR_SUBJECT:
                return self.t("msg.fact_not_for_subject", fact=msg.fact or "?",
                              protocol=_protocol(result, rr))
            case _:
                return self.t(f"msg.{msg.key.value}")

    def summary(self, rr: RuleResult, result: ScanResult | None = None) -> str:
        """The message, then each condition as one line, then why facts are unknown."""
        parts = [self.message(rr, result)]
        parts += [self.line(ev) for ev in rr.evidence]
        for ev in rr.evidence:
            if ev.unknown in (Unknown.FACT_ERROR, Unknown.FACT_NOT_APPLICABLE):
                parts.append(self.reason(fact_of(result, rr, ev.fact)))
        return "; ".join(p for p in parts if p)


def fact_of(result: ScanResult | None, rr: RuleResult, name: str) -> Fact | None:
    """The fact a result's evidence names, from the scanned subject's report."""
    if result is None:
        return None
    report = next((s for s in result.services if s.service.key == rr.service), None)
    return report.fact(name) if report else None


def _category(fact: Fact | ProbeRun) -> str | None:
    """The failure's ReasonCategory, when one was recorded (`unspecified` says nothing)."""
    if fact.category is None or fact.category is ReasonCategory.UNSPECIFIED:
        return None
    return fact.category.value


def _rule(result: ScanResult | None, rule_id: str) -> RuleInfo | None:
    return next((r for r in result.rules if r.id == rule_id), None) if result else None


def _protocol(result: ScanResult | None, rr: RuleResult) -> str:
    report = next((s for s in result.services if s.service.key == rr.service), None) \
        if result else None
    return report.service.protocol.value if report else rr.service.rsplit("/", 1)[-1]
