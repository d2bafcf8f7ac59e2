"""sslyze scan-command attempts -> Rempart facts (pure functions, tested on sslyze's objects)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scanner.models import Fact, Observation, Phrase, ProbeStatus, ReasonCategory, say, summary
from scanner.probes.base import ProbeFailure

COMPLETED, NOT_APPLICABLE = ProbeStatus.COMPLETED, ProbeStatus.NOT_APPLICABLE
ROBOT_VALUES = ("vulnerable_strong_oracle", "vulnerable_weak_oracle", "not_vulnerable",
                "rsa_not_supported")
RESUMPTION = ("session_id", "tls_ticket")

# fact -> the sslyze scan command (ScanCommand value and AllScanCommandsAttempts attribute)
COMMANDS: dict[str, str] = {
    "tls.heartbleed": "heartbleed",
    "tls.ccs_injection": "openssl_ccs_injection",
    "tls.robot": "robot",
    "tls.client_renegotiation": "session_renegotiation",
    "tls.session_resumption": "session_resumption",
}


def _heartbleed(result: Any) -> Fact:
    vulnerable = bool(result.is_vulnerable_to_heartbleed)
    return Fact(name="tls.heartbleed", status=COMPLETED, value=vulnerable, summary=summary(
        say("summary.vulns.heartbleed_" + ("yes" if vulnerable else "no"))))


def _ccs(result: Any) -> Fact:
    vulnerable = bool(result.is_vulnerable_to_ccs_injection)
    return Fact(name="tls.ccs_injection", status=COMPLETED, value=vulnerable, summary=summary(
        say("summary.vulns.ccs_" + ("yes" if vulnerable else "no"))))


def _robot(result: Any) -> Fact:
    raw = str(getattr(result.robot_result, "value", result.robot_result))
    mapped = {"VULNERABLE_STRONG_ORACLE": "vulnerable_strong_oracle",
              "VULNERABLE_WEAK_ORACLE": "vulnerable_weak_oracle",
              "NOT_VULNERABLE_NO_ORACLE": "not_vulnerable",
              "NOT_VULNERABLE_RSA_NOT_SUPPORTED": "rsa_not_supported"}.get(raw)
    if mapped is None:  # UNKNOWN_INCONSISTENT_RESULTS: fail closed
        raise ProbeFailure(f"sslyze robot: {raw} (the server answered the padding oracle "
                           "probes inconsistently)")
    return Fact(name="tls.robot", status=COMPLETED, value=mapped,
                summary=summary(say("summary.vulns.robot", result=raw)))


def _renegotiation(result: Any) -> Fact:
    dos = bool(result.is_vulnerable_to_client_renegotiation_dos)
    count = getattr(result, "client_renegotiations_success_count", None)
    return Fact(name="tls.client_renegotiation", status=COMPLETED, value=dos, summary=summary(
        say("summary.vulns.renegotiation_yes", count=str(count)) if dos
        else say("summary.vulns.renegotiation_no")))


def _resumption(result: Any) -> Fact:
    values: list[Observation] = []
    notes: list[str] = []
    said: list[Phrase] = []
    for name, prefix in (("session_id", "session_id"), ("tls_ticket", "tls_ticket")):
        support = str(getattr(getattr(result, f"{prefix}_resumption_result"), "value", ""))
        ok = getattr(result, f"{prefix}_successful_resumptions_count", 0)
        tried = getattr(result, f"{prefix}_attempted_resumptions_count", 0)
        notes.append(f"{name}: {support} ({ok}/{tried})")
        said.append(say("summary.vulns.resumption_step", name=name, support=support,
                        ok=str(ok), tried=str(tried)))
        if support in ("FULLY_SUPPORTED", "PARTIALLY_SUPPORTED"):
            values.append(Observation(value=name, detail=f"{ok} of {tried} resumptions",
                                      said=say("obs.vulns.resumptions", ok=str(ok),
                                               tried=str(tried))))
    if all("SERVER_IS_TLS_1_3_ONLY" in n for n in notes):
        return Fact(name="tls.session_resumption", status=NOT_APPLICABLE,
                    reason="TLS 1.3 only: no session ID or TLS 1.2 ticket resumption",
                    why=say("reason.vulns.tls13_only"))
    return Fact(name="tls.session_resumption", status=COMPLETED, value=tuple(values),
                summary=summary(say("summary.vulns.resumption", *said)))


MAPPERS: dict[str, Callable[[Any], Fact]] = {
    "tls.heartbleed": _heartbleed,
    "tls.ccs_injection": _ccs,
    "tls.robot": _robot,
    "tls.client_renegotiation": _renegotiation,
    "tls.session_resumption": _resumption,
}

_ERROR_CATEGORIES = {
    "CONNECTIVITY_ISSUE": ReasonCategory.UNREACHABLE,
    "CLIENT_CERTIFICATE_NEEDED": ReasonCategory.NOT_PERMITTED,
    "WRONG_USAGE": ReasonCategory.INTERNAL_ERROR,
    "BUG_IN_SSLYZE": ReasonCategory.INTERNAL_ERROR,
}


def _last_line(trace: Any) -> str:
    if trace is None:
        return ""
    lines = [line.strip() for line in trace.format_exception_only() if line.strip()]
    return lines[-1] if lines else ""


def fact_from_attempt(name: str, attempt: Any) -> Fact:
    """One fact from one sslyze ScanCommandAttempt: COMPLETED maps, anything else is an error."""
    command = COMMANDS[name]
    status = str(getattr(attempt.status, "value", attempt.status))
    if status == "COMPLETED" and attempt.result is not None:
        try:
            return MAPPERS[name](attempt.result)
        except ProbeFailure as exc:
            return exc.fact(name)
    if status == "ERROR":
        reason = str(getattr(attempt.error_reason, "value", attempt.error_reason))
        detail = _last_line(attempt.error_trace)
        return ProbeFailure(f"sslyze {command} failed: {reason}" + (f" ({detail})" if detail
                                                                      else ""),
                            _ERROR_CATEGORIES.get(reason, ReasonCategory.PROTOCOL_ERROR)
                            ).fact(name)
    return ProbeFailure(f"sslyze {command}: {status}", ReasonCategory.INTERNAL_ERROR).fact(name)


def facts_from_scan(attempts: Any, wanted: frozenset[str]) -> list[Fact]:
    return [fact_from_attempt(n, getattr(attempts, COMMANDS[n])) for n in COMMANDS
            if n in wanted]


def facts_from_attempts(attempts: Mapping[str, Any], wanted: frozenset[str]) -> list[Fact]:
    return [fact_from_attempt(n, attempts[COMMANDS[n]]) for n in COMMANDS if n in wanted]
