"""The probe registry: order from declarations, typed artefacts, missing makers are errors."""

from __future__ import annotations

import pytest

from scanner.engine import gather
from scanner.facts import FactKind, FactSpec
from scanner.models import Fact, ProbeStatus, ReasonCategory, ServiceProtocol
from scanner.probes.base import Artefact, Need, ProbeContext, ProbeInputs, ProbeTarget
from scanner.probes.registry import Registry, RegistryError, default_registry
from tests.wording_help import how

TARGET = ProbeTarget(address="127.0.0.1", port=1, protocol=ServiceProtocol.TLS, sni=None,
                     expected_name="127.0.0.1")


class Token:
    def __init__(self, text: str) -> None:
        self.text = text


TOKEN = Artefact("test.token", Token)


class Fake:
    """A probe whose declarations are given; it establishes each wanted fact as True."""

    def __init__(self, name: str, facts: tuple[str, ...], needs: tuple[Need, ...] = (),
                 makes: tuple[Artefact[Token], ...] = (), log: list[str] | None = None) -> None:
        self.name = name
        self.facts = tuple(FactSpec(f, FactKind.BOOL, name, f) for f in facts)
        self.needs = needs
        self.makes = makes
        self.log = log if log is not None else []

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            inputs: ProbeInputs) -> list[Fact]:
        self.log.append(self.name)
        for art in self.makes:
            inputs.publish(art, Token(f"from {self.name}"))
        summary = ""
        if TOKEN in self.needs:
            summary = inputs.artefact(TOKEN).text
        seen = ",".join(sorted(inputs))
        return [Fact(name=n, status=ProbeStatus.COMPLETED, value=True,
                     summary=summary or seen) for n in sorted(wanted)]


def ctx() -> ProbeContext:
    return ProbeContext(timeout=1, deadline=float("inf"))


def test_order_comes_from_declarations_not_registration() -> None:
    log: list[str] = []
    user = Fake("user", ("u.fact",), needs=(TOKEN, "m.fact"), log=log)
    maker = Fake("maker", ("m.fact",), makes=(TOKEN,), log=log)
    registry = Registry([user, maker])
    assert [p.name for p in registry.probes] == ["maker", "user"]
    got = gather(TARGET, frozenset({"u.fact"}), ctx(), registry)
    assert log == ["maker", "user"]
    assert how(got.facts["u.fact"]) == "from maker"  # the artefact, typed, handed over
    assert got.facts["m.fact"].status is ProbeStatus.COMPLETED  # a needed fact is gathered
    assert [r.probe for r in got.runs] == ["maker", "user"]


def test_a_probe_needed_for_its_artefact_alone_runs_with_no_fact_wanted() -> None:
    log: list[str] = []
    registry = Registry([Fake("maker", ("m.fact",), makes=(TOKEN,), log=log),
                         Fake("user", ("u.fact",), needs=(TOKEN,), log=log)])
    got = gather(TARGET, frozenset({"u.fact"}), ctx(), registry)
    assert log == ["maker", "user"]
    assert set(got.facts) == {"u.fact"}


def test_a_missing_maker_is_an_error_not_a_crash() -> None:
    log: list[str] = []
    registry = Registry([Fake("user", ("u.fact",), needs=(TOKEN,), log=log)])
    got = gather(TARGET, frozenset({"u.fact"}), ctx(), registry)
    fact = got.facts["u.fact"]
    assert (fact.status, fact.category) == (ProbeStatus.ERROR,
                                            ReasonCategory.MISSING_DEPENDENCY)
    assert fact.reason == ("probe user needs artefact test.token, which no registered probe "
                           "provides")
    assert log == []  # not run


class Broken(Fake):
    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            inputs: ProbeInputs) -> list[Fact]:
        raise RuntimeError("boom")


@pytest.mark.internal_error_expected
def test_when_the_maker_fails_its_users_say_why() -> None:
    registry = Registry([Broken("maker", ("m.fact",), makes=(TOKEN,)),
                         Fake("user", ("u.fact",), needs=(TOKEN,))])
    got = gather(TARGET, frozenset({"u.fact"}), ctx(), registry)
    fact = got.facts["u.fact"]
    assert fact.category is ReasonCategory.INTERNAL_ERROR
    assert fact.reason == "no test.token: probe maker crashed: RuntimeError: boom"


@pytest.mark.internal_error_expected
def test_undeclared_artefacts_are_refused() -> None:
    class Publisher(Fake):
        def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
                inputs: ProbeInputs) -> list[Fact]:
            inputs.publish(TOKEN, Token("x"))  # not in its `makes`
            return []

    registry = Registry([Publisher("pub", ("p.fact",))])
    fact = gather(TARGET, frozenset({"p.fact"}), ctx(), registry).facts["p.fact"]
    assert fact.category is ReasonCategory.INTERNAL_ERROR
    assert "does not declare it makes test.token" in (fact.reason or "")


@pytest.mark.parametrize(("probes", "message"), [
    ([Fake("a", ("x",), needs=("y",)), Fake("b", ("y",), needs=("x",))], "cycle"),
    ([Fake("a", ("x",)), Fake("b", ("x",))], "fact x is provided by probes a and b"),
    ([Fake("a", ("x",)), Fake("a", ("y",))], "two probes share a name"),
])
def test_contradictory_declarations_are_refused(probes: list[Fake], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        Registry(probes)


def test_builtin_registry() -> None:
    registry = default_registry()
    names = [p.name for p in registry.probes]
    assert names.index("tls") < names.index("certificate")  # certificate needs the session
    steps = registry.plan({"cert.trusted"})
    assert [(s.probe.name, s.facts) for s in steps] == [
        ("tls", frozenset()), ("certificate", frozenset({"cert.trusted"}))]
    for probe in registry.probes:
        assert all(spec.probe == probe.name for spec in probe.facts)
