"""The decisions of scanner/waivers.py, one by one (no server): which service a waiver covers,
its state on each side of its dates (both inclusive), what applying it does, the counts before
and after, the waivers expiring soon, the exclusions, and the exact words of each refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.models import (
    Exclusion,
    NetworkService,
    RuleResult,
    ScanResult,
    ServiceProtocol,
    Severity,
    SourceLocation,
    Status,
    WaiverRecord,
    WaiverState,
)
from scanner.rulepack.loader import load_pack
from scanner.rulepack.model import Override
from scanner.rulepack.ruleset import build_ruleset
from scanner.waivers import (
    EXPIRING_SOON_DAYS,
    Waiver,
    apply_policy,
    apply_waivers,
    exclude_rules,
    expiring,
    load_waivers,
    unwaive,
    waiver_counts,
    with_exclusions,
)
from scanner.yamlsrc import SourceError
from tests.reports.sample import make_sample_result
from tests.subjects import subject_for

START, EXPIRES = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
HERE = SourceLocation(file="w.yaml", line=3, column=5)
MAIL = "mail:25/smtp"
API = "legacy-api:8443/tls"


def waiver(rule: str = "TLS-PROTO-002", hosts: tuple[str, ...] = (),
           services: tuple[str, ...] = (), wid: str = "W-1", start: dt.date = START,
           expires: dt.date = EXPIRES) -> Waiver:
    return Waiver(id=wid, rule_id=rule, hosts=hosts, services=services, justification="why",
                  approver="Jane Roe", start=start, expires=expires, risk=Severity.MEDIUM,
                  location=HERE)


def service(host: str = "mail", port: int = 25) -> NetworkService:
    return NetworkService(host=host, port=port, protocol=ServiceProtocol.SMTP,
                          address="127.0.0.1", dns_name=None)


# ---- which services a waiver covers ---------------------------------------------------------

@pytest.mark.parametrize(("hosts", "services", "covered"), [
    (("*",), (), True),  # every host
    (("mail",), (), True),
    (("web",), (), False),
    (("web", "mail"), (), True),
    ((), ("mail:25/smtp",), True),  # the full service key
    ((), ("mail:25",), True),  # host:port, whatever the protocol
    ((), ("mail:26",), False),
    ((), ("mail:25/https",), False),
    ((), ("web:25",), False),
    (("web",), ("mail:25",), True),  # hosts or services
    (("web",), ("mail:26",), False),
])
def test_what_a_waiver_covers(hosts: tuple[str, ...], services: tuple[str, ...],
                              covered: bool) -> None:
    assert waiver(hosts=hosts, services=services).covers(service()) is covered


def test_subjects_without_a_port_are_covered_by_host_or_full_key() -> None:
    exposed = subject_for(ServiceProtocol.HOST, host="mail")  # key mail/ports
    assert waiver(hosts=("mail",)).covers(exposed)
    assert waiver(services=("mail/ports",)).covers(exposed)
    assert not waiver(services=("mail",)).covers(exposed)
    assert not waiver(services=("mail:25", "mail:443")).covers(exposed)
    assert not waiver(hosts=("web",), services=("web/ports",)).covers(exposed)


def test_a_star_is_not_a_pattern_inside_a_name() -> None:
    assert not waiver(hosts=("mail*",)).covers(service())
    assert not waiver(services=("*",)).covers(service())


# ---- its state on a day: start and expiry both inclusive -----------------------------------

@pytest.mark.parametrize(("day", "state"), [
    (START - dt.timedelta(days=1), WaiverState.PENDING),
    (START, WaiverState.ACTIVE),  # in force from its first day
    (START + dt.timedelta(days=1), WaiverState.ACTIVE),
    (EXPIRES - dt.timedelta(days=1), WaiverState.ACTIVE),
    (EXPIRES, WaiverState.ACTIVE),  # and on its last day
    (EXPIRES + dt.timedelta(days=1), WaiverState.EXPIRED),
])
def test_state_on_each_side_of_the_dates(day: dt.date, state: WaiverState) -> None:
    assert waiver().state_on(day) is state


def test_a_one_day_waiver_is_active_on_that_day_only() -> None:
    one = waiver(start=START, expires=START)
    assert [one.state_on(START + dt.timedelta(days=n)) for n in (-1, 0, 1)] == [
        WaiverState.PENDING, WaiverState.ACTIVE, WaiverState.EXPIRED]


# ---- applying waivers to a result ----------------------------------------------------------

def sample(results: tuple[RuleResult, ...] | None = None) -> ScanResult:
    base = make_sample_result()
    return base if results is None else base.model_copy(update={"results": results})


def statuses(result: ScanResult) -> dict[tuple[str, str], tuple[Status, str | None]]:
    return {(r.rule_id, r.service): (r.status, r.waiver) for r in result.results}


def record(w: Waiver, state: WaiverState, matched: tuple[str, ...]) -> WaiverRecord:
    return WaiverRecord(id=w.id, rule_id=w.rule_id, hosts=w.hosts, services=w.services,
                        justification=w.justification, approver=w.approver, start=w.start,
                        expires=w.expires, risk=w.risk, location=w.location, state=state,
                        matched=matched)


def test_an_active_waiver_waives_the_failures_it_covers_and_nothing_else() -> None:
    base = sample()
    w = waiver(rule="TLS-PROTO-002", hosts=("mail",))  # the scan day (2025-03-03) is in range
    out = apply_waivers(base, [w])
    want = statuses(base) | {("TLS-PROTO-002", MAIL): (Status.WAIVED, "W-1")}
    assert statuses(out) == want
    assert out.waivers == (record(w, WaiverState.ACTIVE, (MAIL,)),)
    assert [r.model_copy(update={"status": None, "waiver": None}) for r in out.results] == \
        [r.model_copy(update={"status": None, "waiver": None}) for r in base.results]


def test_a_waiver_covering_several_failures_waives_each() -> None:
    w = waiver(rule="TLS-PROTO-002", hosts=("*",))
    out = apply_waivers(sample(), [w])
    assert statuses(out)["TLS-PROTO-002", MAIL] == (Status.WAIVED, "W-1")
    assert statuses(out)["TLS-PROTO-002", API] == (Status.WAIVED, "W-1")
    assert statuses(out)["TLS-PROTO-002", "portal:443/https"] == (Status.PASS, None)  # passes
    assert out.waivers[0].matched == (MAIL, API)


@pytest.mark.parametrize(("start", "expires", "state"), [
    (dt.date(2025, 3, 4), dt.date(2025, 4, 1), WaiverState.PENDING),  # starts the day after
    (dt.date(2025, 1, 1), dt.date(2025, 3, 2), WaiverState.EXPIRED),  # ended the day before
])
def test_pending_and_expired_waivers_change_nothing_but_say_what_they_cover(
        start: dt.date, expires: dt.date, state: WaiverState) -> None:
    w = waiver(hosts=("mail",), start=start, expires=expires)
    out = apply_waivers(sample(), [w])
    assert statuses(out) == statuses(sample())
    assert out.waivers == (record(w, state, (MAIL,)),)


@pytest.mark.parametrize(("start", "expires"), [
    (dt.date(2025, 3, 3), dt.date(2025, 3, 3)),  # the scan day is the first and last day
    (dt.date(2025, 3, 3), dt.date(2025, 12, 31)),
    (dt.date(2024, 1, 1), dt.date(2025, 3, 3)),
])
def test_in_force_on_the_scan_day_at_both_boundaries(start: dt.date, expires: dt.date) -> None:
    w = waiver(hosts=("mail",), start=start, expires=expires)
    out = apply_waivers(sample(), [w])
    assert statuses(out)["TLS-PROTO-002", MAIL] == (Status.WAIVED, "W-1")
    assert out.waivers[0].state is WaiverState.ACTIVE


@pytest.mark.parametrize("w", [
    waiver(rule="TLS-PROTO-001", hosts=("portal",)),  # the rule passes there
    waiver(rule="TLS-PROTO-002", hosts=("nowhere",)),  # no such host
    waiver(rule="NOPE-001", hosts=("*",)),  # no such rule
    waiver(rule="TLS-GROUP-002", hosts=("legacy-api",)),  # an error is never waived
    waiver(rule="CE-TLS13-001", hosts=("mail",)),  # not applicable
])
def test_an_active_waiver_that_matches_no_failure_is_stale(w: Waiver) -> None:
    out = apply_waivers(sample(), [w])
    assert statuses(out) == statuses(sample())
    assert out.waivers == (record(w, WaiverState.STALE, ()),)


@pytest.mark.parametrize("state_day", [dt.date(2025, 2, 1), dt.date(2025, 4, 30)])
def test_pending_or_expired_with_no_match_stays_so(state_day: dt.date) -> None:
    w = waiver(hosts=("nowhere",), start=START, expires=EXPIRES)
    out = apply_waivers(sample(), [w], today=state_day)
    assert out.waivers[0].state is w.state_on(state_day)
    assert out.waivers[0].state is not WaiverState.STALE


def test_the_day_defaults_to_the_scan_day_and_can_be_given() -> None:
    w = waiver(hosts=("mail",), start=dt.date(2025, 3, 3), expires=dt.date(2025, 3, 3))
    assert apply_waivers(sample(), [w]).waivers[0].state is WaiverState.ACTIVE
    later = apply_waivers(sample(), [w], today=dt.date(2025, 3, 4))
    assert later.waivers[0].state is WaiverState.EXPIRED
    assert statuses(later)["TLS-PROTO-002", MAIL] == (Status.FAIL, None)
    earlier = apply_waivers(sample(), [w], today=dt.date(2025, 3, 2))
    assert earlier.waivers[0].state is WaiverState.PENDING


def test_applying_again_keeps_its_own_waived_results_and_not_another_waivers() -> None:
    w1 = waiver(wid="W-1", hosts=("mail",))
    once = apply_waivers(sample(), [w1])
    again = apply_waivers(once, [w1])  # re-rendering a stored result
    assert statuses(again) == statuses(once)
    assert again.waivers == (record(w1, WaiverState.ACTIVE, (MAIL,)),)
    w2 = waiver(wid="W-2", hosts=("mail",))
    other = apply_waivers(once, [w2])  # W-1's result is not W-2's failure
    assert statuses(other)["TLS-PROTO-002", MAIL] == (Status.WAIVED, "W-1")
    assert other.waivers == (record(w2, WaiverState.STALE, ()),)


def test_a_result_of_an_unknown_service_is_left_alone() -> None:
    base = sample()
    stray = base.results[8].model_copy(update={"service": "ghost:1/tls"})
    assert (stray.rule_id, stray.status) == ("TLS-PROTO-002", Status.FAIL)
    out = apply_waivers(sample((*base.results, stray)), [waiver(hosts=("*",))])
    assert statuses(out)["TLS-PROTO-002", "ghost:1/tls"] == (Status.FAIL, None)
    assert out.waivers[0].matched == (MAIL, API)


def test_several_waivers_are_recorded_in_order() -> None:
    a = waiver(wid="A", hosts=("mail",))
    b = waiver(wid="B", rule="TLS-PROTO-001", hosts=("legacy-api",), start=dt.date(2026, 1, 1),
               expires=dt.date(2026, 2, 1))
    c = waiver(wid="C", rule="CERT-TRUST-001", services=(API,))
    out = apply_waivers(sample(), [a, b, c])
    assert out.waivers == (record(a, WaiverState.ACTIVE, (MAIL,)),
                           record(b, WaiverState.PENDING, (API,)),
                           record(c, WaiverState.ACTIVE, (API,)))
    assert statuses(out)["CERT-TRUST-001", API] == (Status.WAIVED, "C")
    assert statuses(out)["TLS-PROTO-001", API] == (Status.FAIL, None)


def test_unwaive_restores_the_failures() -> None:
    waived = apply_waivers(sample(), [waiver(hosts=("*",))])
    back = unwaive(waived)
    assert back.results == sample().results and back.waivers == ()
    assert unwaive(sample()) == sample().model_copy(update={"waivers": ()})


def test_apply_policy_keeps_what_a_stored_result_already_records() -> None:
    """Re-rendering a stored result with no exclusion or waiver given keeps its own."""
    ex = (Exclusion(rule_id="CERT-SIG-001", reason="legacy", by="pack"),)
    stored = apply_policy(sample(), ex, [waiver(hosts=("mail",))])
    assert apply_policy(stored, (), []) == stored
    assert apply_policy(stored, (), []).exclusions == ex
    assert len(apply_policy(stored, (), []).waivers) == 1


def test_apply_policy_records_exclusions_and_applies_waivers() -> None:
    ex = (Exclusion(rule_id="CERT-SIG-001", reason="legacy", by="pack"),)
    w = waiver(hosts=("mail",))
    both = apply_policy(sample(), ex, [w])
    assert both.exclusions == ex and both.waivers == (record(w, WaiverState.ACTIVE, (MAIL,)),)
    assert statuses(both)["TLS-PROTO-002", MAIL] == (Status.WAIVED, "W-1")
    only_ex = apply_policy(sample(), ex, [])
    assert only_ex.exclusions == ex and only_ex.results == sample().results
    only_w = apply_policy(sample(), (), [w])
    assert only_w.exclusions == sample().exclusions and only_w.waivers == both.waivers
    assert apply_policy(sample(), (), []) == sample()
    assert with_exclusions(sample(), list(ex)).exclusions == ex


# ---- counts before and after waivers -------------------------------------------------------

def results_of(*pairs: tuple[Status, int]) -> tuple[RuleResult, ...]:
    one = make_sample_result().results[0]
    return tuple(one.model_copy(update={"status": s, "rule_id": f"R-{s.value}-{i}"})
                 for s, n in pairs for i in range(n))


def counts(**by: int) -> dict[Status, int]:
    return {s: by.get(s.name.lower(), 0) for s in Status}


def test_counts_before_and_after_waivers_exactly() -> None:
    c = waiver_counts(results_of((Status.PASS, 1), (Status.FAIL, 2), (Status.WAIVED, 3),
                                 (Status.ERROR, 4), (Status.NOT_APPLICABLE, 5)))
    assert c.after == counts(**{"pass": 1, "fail": 2, "waived": 3, "error": 4,
                                "not_applicable": 5})
    assert c.before == counts(**{"pass": 1, "fail": 5, "waived": 0, "error": 4,
                                 "not_applicable": 5})
    assert (c.score_before, c.score_after) == (10.0, 40.0)  # of the 10 checked, n/a aside


def test_scores_are_rounded_to_one_decimal() -> None:
    c = waiver_counts(results_of((Status.PASS, 1), (Status.FAIL, 1), (Status.WAIVED, 1)))
    assert (c.score_before, c.score_after) == (33.3, 66.7)
    c = waiver_counts(results_of((Status.PASS, 2), (Status.ERROR, 1)))
    assert (c.score_before, c.score_after) == (66.7, 66.7)


def test_nothing_checked_has_no_score() -> None:
    for results in ((), results_of((Status.NOT_APPLICABLE, 2))):
        c = waiver_counts(results)
        assert (c.score_before, c.score_after) == (None, None)
    assert waiver_counts(()).after == counts() == waiver_counts(()).before


def test_all_passing_is_a_hundred() -> None:
    c = waiver_counts(results_of((Status.PASS, 3), (Status.NOT_APPLICABLE, 1)))
    assert (c.score_before, c.score_after) == (100.0, 100.0)


# ---- expiring soon -------------------------------------------------------------------------

def recorded(expires: dt.date, state: WaiverState, wid: str = "W-1") -> WaiverRecord:
    return record(waiver(wid=wid, expires=expires, start=dt.date(2025, 1, 1)), state, ())


def with_records(*records: WaiverRecord) -> ScanResult:
    return sample().model_copy(update={"waivers": records})


def test_expiring_soon_within_fourteen_days_of_the_scan_day_inclusive() -> None:
    assert EXPIRING_SOON_DAYS == 14
    scan_day = dt.date(2025, 3, 3)
    edge = recorded(scan_day + dt.timedelta(days=14), WaiverState.ACTIVE, "EDGE")
    beyond = recorded(scan_day + dt.timedelta(days=15), WaiverState.ACTIVE, "BEYOND")
    today = recorded(scan_day, WaiverState.STALE, "TODAY")
    result = with_records(edge, beyond, today)
    assert expiring(result) == (edge, today)
    assert expiring(result, within_days=15) == (edge, beyond, today)
    assert expiring(result, within_days=13) == (today,)
    assert expiring(result, today=scan_day + dt.timedelta(days=1)) == (edge, beyond, today)
    assert expiring(result, today=scan_day - dt.timedelta(days=1)) == (today,)


def test_only_waivers_in_force_can_expire_soon() -> None:
    day = dt.date(2025, 3, 10)
    records = [recorded(day, state, state.value) for state in WaiverState]
    got = expiring(with_records(*records), today=day)
    assert [w.state for w in got] == [WaiverState.ACTIVE, WaiverState.STALE]


# ---- exclusions ----------------------------------------------------------------------------

def ruleset():  # type: ignore[no-untyped-def]
    rules = build_ruleset([load_pack("saas-baseline")])
    # disabled by a pack: not among the rules
    disabled = Override(rule_id="OFF-001", location=HERE, at="overrides[0]", enabled=False,
                        reason="legacy appliance")
    return replace(rules, disabled=(disabled,))


def test_skip_rule_and_pack_exclusions() -> None:
    rules = ruleset()
    ids = [r.info.id for r in rules.rules]
    assert "TLS-PROTO-001" in ids and "TLS-PROTO-002" in ids
    assert "OFF-001" not in ids
    live, exclusions = exclude_rules(rules, ["TLS-PROTO-001", "OFF-001", "TLS-PROTO-001",
                                             "TLS-PROTO-002"])
    assert [r.info.id for r in live.rules] == [i for i in ids
                                               if i not in ("TLS-PROTO-001", "TLS-PROTO-002")]
    assert live.packs == rules.packs and live.disabled == rules.disabled
    assert exclusions == (
        Exclusion(rule_id="OFF-001", reason="legacy appliance", by="pack", location=HERE),
        Exclusion(rule_id="TLS-PROTO-001", reason="--skip-rule on the command line",
                  by="skip-rule"),
        Exclusion(rule_id="TLS-PROTO-002", reason="--skip-rule on the command line",
                  by="skip-rule"),
    )
    same, only_pack = exclude_rules(rules, [])
    assert same.rules == rules.rules and only_pack == exclusions[:1]


def test_an_unknown_skipped_rule_is_refused_with_its_position() -> None:
    with pytest.raises(SourceError) as info:
        exclude_rules(ruleset(), ["TLS-PROTO-001", "NOPE-001"])
    assert str(info.value) == ("--skip-rule:2:1: skip-rule: unknown rule NOPE-001; "
                               "`rempart rules list` shows the rules in force")


# ---- loading a waiver file -----------------------------------------------------------------

FILE = """\
rempart: 1
waivers:
  - id: W-1
    rule: TLS-PROTO-002
    hosts: [mail, web]
    justification: Legacy MTA
    approver: Jane Roe
    start: 2025-01-01
    expires: 2025-06-30
    risk: medium
  - id: W-2
    rule: CERT-TRUST-001
    services: ["api:8443"]
    justification: internal CA
    approver: John Doe
    start: "2025-01-01T10:00:00Z"
    expires: 2025-01-01
    risk: high
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def test_a_waiver_file_read_field_by_field(tmp_path: Path) -> None:
    path = write(tmp_path, FILE)
    got = load_waivers(path)  # no rule list: any rule ID is taken
    assert got == (
        Waiver(id="W-1", rule_id="TLS-PROTO-002", hosts=("mail", "web"), services=(),
               justification="Legacy MTA", approver="Jane Roe", start=dt.date(2025, 1, 1),
               expires=dt.date(2025, 6, 30), risk=Severity.MEDIUM,
               location=SourceLocation(file=str(path), line=3, column=5)),
        Waiver(id="W-2", rule_id="CERT-TRUST-001", hosts=(), services=("api:8443",),
               justification="internal CA", approver="John Doe", start=dt.date(2025, 1, 1),
               expires=dt.date(2025, 1, 1), risk=Severity.HIGH,
               location=SourceLocation(file=str(path), line=11, column=5)),
    )
    assert load_waivers(path, {"TLS-PROTO-002", "CERT-TRUST-001", "OTHER"}) == got


@pytest.mark.parametrize(("change", "message"), [
    (("id: W-2", "id: W-1"), ":11:9: waivers[1].id: duplicate waiver ID 'W-1'"),
    (("rule: CERT-TRUST-001", "rule: NOPE-001"),
     ":12:11: waivers[1].rule: unknown rule NOPE-001; `rempart rules list` shows the rules "
     "in force"),
    (("expires: 2025-01-01", "expires: 2024-12-31"),
     ":17:14: waivers[1].expires: expected a date on or after start (2025-01-01); "
     "got 2024-12-31"),
    (("expires: 2025-06-30", "expires: 30/06/2025"),
     ":9:14: waivers[0].expires: expected a date like 2027-01-31; got '30/06/2025'"),
    (('start: "2025-01-01T10:00:00Z"', 'start: "2025-01-01 10:00"'),
     ":16:12: waivers[1].start: expected a date like 2027-01-31; got '2025-01-01 10:00'"),
    (('start: "2025-01-01T10:00:00Z"', 'start: "2025-1-1T10:00:00Z"'),
     ":16:12: waivers[1].start: expected a date like 2027-01-31; got '2025-1-1T10:00:00Z'"),
])
def test_refusals_word_for_word(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, FILE.replace(*change))
    with pytest.raises(SourceError) as info:
        load_waivers(path, {"TLS-PROTO-002", "CERT-TRUST-001"})
    assert str(info.value) == str(path) + message


def test_the_schema_is_applied(tmp_path: Path) -> None:
    path = write(tmp_path, FILE.replace("rempart: 1", "rempart: 2"))
    with pytest.raises(SourceError) as info:
        load_waivers(path)
    assert str(info.value).startswith(f"{path}:1:10: rempart: ")
