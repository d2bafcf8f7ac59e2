"""The probe registry: which probes exist, the facts they establish, the order they run in.

Registering a probe kind is one line in `BUILTIN_PROBES` ("module:Class"); the class declares
its `facts`, `needs` and `makes` (see `scanner.probes.base.Probe`). The order comes from those
declarations, never from a hand-kept list.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter

from scanner.facts import FactSpec
from scanner.probes.base import Artefact, Need, Probe

BUILTIN_PROBES = (
    "scanner.probes.tls.probe:TlsProbe",
    "scanner.probes.certificate:CertificateProbe",
    "scanner.probes.http:HttpProbe",
    "scanner.probes.ports:PortsProbe",
    "scanner.probes.flows:FlowsProbe",
    "scanner.probes.spf:SpfProbe",
    "scanner.probes.ssh_audit:SshAuditProbe",
    "scanner.probes.inside.probe:InsideProbe",
    "scanner.probes.vulns.probe:VulnerabilitiesProbe",
    "scanner.probes.dns_migration:DnsMigrationProbe",
)


class RegistryError(Exception):
    """The probes' declarations contradict each other (a bug, found when the registry loads)."""


@dataclass(frozen=True)
class Step:
    """One probe to run for a subject: the facts wanted from it, or why it cannot run."""

    probe: Probe
    facts: frozenset[str]
    missing: tuple[str, ...] = ()  # needs no registered probe provides: the facts are errors


def _need_name(need: Need) -> str:
    return need if isinstance(need, str) else f"artefact {need.name}"


class Registry:
    """Probes in an order where each runs after the makers of what it needs."""

    def __init__(self, probes: Iterable[Probe]) -> None:
        given = list(probes)
        for probe in given:
            if not isinstance(probe, Probe):  # the declarations the engine reads are there
                raise RegistryError(f"{probe!r} lacks name, facts, needs, makes or run")
        names = [p.name for p in given]
        if len(set(names)) != len(names):
            raise RegistryError(f"two probes share a name: {sorted(names)}")
        self._fact_maker: dict[str, Probe] = {}
        self._artefact_maker: dict[str, Probe] = {}
        for probe in given:
            for spec in probe.facts:
                if spec.probe != probe.name:
                    raise RegistryError(f"fact {spec.name} of probe {probe.name} names probe "
                                        f"{spec.probe}")
                if spec.name in self._fact_maker:
                    raise RegistryError(f"fact {spec.name} is provided by probes "
                                        f"{self._fact_maker[spec.name].name} and {probe.name}")
                self._fact_maker[spec.name] = probe
            for art in probe.makes:
                if art.name in self._artefact_maker:
                    raise RegistryError(f"{art.name} is made by probes "
                                        f"{self._artefact_maker[art.name].name} and {probe.name}")
                self._artefact_maker[art.name] = probe
        graph: dict[str, list[str]] = {p.name: [] for p in given}
        for probe in given:
            graph[probe.name] = [m.name for m in map(self.maker, probe.needs) if m is not None]
        sorter = TopologicalSorter(graph)
        try:
            sorter.prepare()
        except CycleError as exc:
            raise RegistryError(f"probes need each other in a cycle: {exc.args[1]}") from None
        order: list[str] = []
        ready: set[str] = set()
        while sorter.is_active():  # the earliest registered of the ready: a stable order
            ready.update(sorter.get_ready())
            first = min(ready, key=names.index)
            ready.remove(first)
            order.append(first)
            sorter.done(first)
        by_name = {p.name: p for p in given}
        self.probes: tuple[Probe, ...] = tuple(by_name[n] for n in order)
        self.facts: dict[str, FactSpec] = {s.name: s for p in self.probes for s in p.facts}

    def maker(self, need: Need) -> Probe | None:
        """The probe that provides a fact or makes an artefact, if one is registered."""
        if isinstance(need, Artefact):
            return self._artefact_maker.get(need.name)
        return self._fact_maker.get(need)

    def plan(self, wanted: Iterable[str]) -> list[Step]:
        """The steps that establish the wanted facts, with the probes their probes need (even
        with no fact wanted from them, e.g. the maker of the TLS session), in run order."""
        todo: dict[str, set[str]] = {}
        for name in wanted:
            probe = self._fact_maker.get(name)
            if probe is not None:
                todo.setdefault(probe.name, set()).add(name)
        missing: dict[str, list[str]] = {}
        queue = list(todo)
        while queue:
            probe = self._by_name(queue.pop())
            for need in probe.needs:
                maker = self.maker(need)
                if maker is None:
                    missing.setdefault(probe.name, []).append(_need_name(need))
                    continue
                if maker.name not in todo:
                    todo[maker.name] = set()
                    queue.append(maker.name)
                if isinstance(need, str):
                    todo[maker.name].add(need)
        return [Step(p, frozenset(todo[p.name]), tuple(missing.get(p.name, ())))
                for p in self.probes if p.name in todo]

    def _by_name(self, name: str) -> Probe:
        return next(p for p in self.probes if p.name == name)


def load_probes(refs: Sequence[str]) -> list[Probe]:
    """Instances of the probe classes named "module:Class"."""
    out = []
    for ref in refs:
        module, _, cls = ref.partition(":")
        out.append(getattr(importlib.import_module(module), cls)())
    return out


def new_registry() -> Registry:
    """The built-in probes, freshly made (one registry per scan: probes may keep state)."""
    return Registry(load_probes(BUILTIN_PROBES))


@cache
def default_registry() -> Registry:
    """The built-in probes' declarations (the fact catalogue), made once."""
    return new_registry()

