"""More broken packs, each refused word for word (file:line:column: field: what was expected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.facts import FACTS
from scanner.models import Requirement, ServiceProtocol, Severity, SourceDocument, SourceLocation
from scanner.rulepack.loader import BUILTIN_PACKS, check_operand, load_pack
from scanner.rulepack.model import Combined, Condition
from scanner.yamlsrc import SourceError
from tests.test_rulepack_errors import HEAD, RULE, pack

PRESENT = "{fact: cert.present, equals: true}"

CASES = [
    (HEAD.replace("source: DOC}", "source: DOK}") + RULE.format(severity="high", check=PRESENT),
     "5:53: requirements.REQ-TLS-01.source: unknown source 'DOK'; expected one of: DOC"),
    (pack(check=f"{{all: [{PRESENT}], fact: cert.present}}"),
     "11:12: rules[0].check: 'all' stands alone; expected no other field beside it"),
    (pack(check=f"{{any: [{PRESENT}], fact: cert.present}}"),
     "11:12: rules[0].check: 'any' stands alone; expected no other field beside it"),
    (pack(check="{all: []}"),
     "11:18: rules[0].check.all: expected at least 1 item(s); got an empty list"),
    (pack(check="{fact: cert.present}"),
     "11:12: rules[0].check: expected exactly one operator for fact 'cert.present' (equals); "
     "got 0"),
    (pack(check="{fact: cert.key_bits, at_least: 1, at_most: 2}"),
     "11:12: rules[0].check: expected exactly one operator for fact 'cert.key_bits' (one_of, "
     "equals, at_least, at_most); got 2"),
    (pack(check="{fact: cert.not_after, after: soon}"),
     "11:42: rules[0].check.after: expected a date (YYYY-MM-DD), a date-time, or "
     "${contract.end_date} / ${scan.time}; got 'soon'"),
    (pack(check="{fact: tls.protocols, none_of: SSLv3}"),
     "11:43: rules[0].check.none_of: expected a list of values; got 'SSLv3'"),
    (pack(check="{fact: cert.present, equals: 3}"),
     "11:41: rules[0].check.equals: expected true or false; got 3"),
    (pack(check="{fact: cert.key_bits, one_of: [a, b]}"),
     "11:42: rules[0].check.one_of: expected a list of integers; got "),
    (pack(check="{fact: cert.key_bits, one_of: [true]}"),
     "11:42: rules[0].check.one_of: expected a list of integers; got "),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[1].split(": ")[2][:40]
                                                           for c in CASES])
def test_pack_error_word_for_word(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_pack(str(path))
    assert str(info.value).startswith(f"{path}:{expected}"), str(info.value)
    if not expected.endswith("got "):
        assert str(info.value) == f"{path}:{expected}"


def test_unknown_reference_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(pack(check="{fact: cert.not_after, after: '${contract.nope}'}"))
    with pytest.raises(SourceError) as info:
        load_pack(str(path))
    assert str(info.value).startswith(
        f"{path}:11:42: rules[0].check.after: unknown reference '${{contract.nope}}'; expected "
        "${params.NAME} or one of: ${contract.end_date}, ${scan.time}, ${role.allowed_ports}")


def test_unknown_pack_name_lists_the_built_in_ones() -> None:
    with pytest.raises(SourceError) as info:
        load_pack("no-such-pack")
    assert str(info.value) == ("no-such-pack:1:1: (file): no such rule pack file, and not a "
                               f"built-in pack ({', '.join(BUILTIN_PACKS)})")


def test_any_mode(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(pack(check=f"{{any: [{PRESENT}, {{fact: cert.trusted, equals: true}}]}}"))
    check = load_pack(str(path)).rules[0].check
    assert isinstance(check, Combined) and check.mode == "any"
    assert [c.fact for c in check.items] == ["cert.present", "cert.trusted"]
    path.write_text(pack(check=f"{{all: [{PRESENT}, {{fact: cert.trusted, equals: true}}]}}"))
    check = load_pack(str(path)).rules[0].check
    assert isinstance(check, Combined) and check.mode == "all"


def with_params(params: str, check: str) -> str:
    return pack(check=check).replace("    check:", f"    params: {params}\n    check:")


def when(condition: str) -> str:
    return pack(check=PRESENT).replace("    check:", f"    when: {condition}\n    check:")


TWO_SOURCES = HEAD.replace("sources: {DOC: {title: Our policy}}",
                           "sources: {DOC: {title: Our policy}, ANX: {title: Annex}}")
NO_SOURCES = HEAD.replace("sources: {DOC: {title: Our policy}}", "sources: {}")
KNOWN_REFS = "${contract.end_date}, ${scan.time}, ${role.allowed_ports}"
ALL_FACTS = ", ".join(sorted(FACTS))
DUPLICATE_LATER = """\
  - title: Again
    id: MY-PROTO-002
    severity: high
    requirements: [REQ-TLS-01]
    check: {fact: cert.present, equals: true}
    rationale: because
    remediation: fix it
"""

# each refused with exactly this message, nothing before or after it
EXACT = [
    (pack(check="{equals: true}"),
     "11:12: rules[0].check: expected 'fact' with one operator, or 'all'/'any' with a list"),
    (pack(check="{fact: cert.chain}"),
     "11:12: rules[0].check: expected exactly one operator for fact 'cert.chain' (none: this "
     "fact is for reports only); got 0"),
    (pack(check="{fact: cert.chain, equals: 1}"),
     "11:39: rules[0].check.equals: operator 'equals' does not apply to chain fact "
     "'cert.chain'; expected one of: (none)"),
    (pack(check="{fact: cert.key_bits, before: 2027-01-01}"),
     "11:42: rules[0].check.before: operator 'before' does not apply to int fact "
     "'cert.key_bits'; expected one of: one_of, equals, at_least, at_most"),
    (pack(check="{fact: cert.presnt, equals: true}"),
     f"11:19: rules[0].check.fact: unknown fact 'cert.presnt'; expected one of: {ALL_FACTS}"),
    (when("{fact: cert.presnt, equals: true}"),
     f"11:18: rules[0].when.fact: unknown fact 'cert.presnt'; expected one of: {ALL_FACTS}"),
    (pack(check="{fact: cert.key_bits, at_least: 1, except: [a]}"),
     "11:55: rules[0].check.except: 'except' applies to set facts only; 'cert.key_bits' is a "
     "int fact"),
    (pack(check="{fact: tls.protocols, none_of: [SSLv3], except: [SSLv4]}"),
     "11:60: rules[0].check.except: unknown value 'SSLv4' for fact 'tls.protocols'; expected "
     "any of: SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3"),
    (pack(check="{fact: cert.key_bits, at_least: '${role.allowed_ports}'}"),
     "11:44: rules[0].check.at_least: '${role.allowed_ports}' is a list; fact 'cert.key_bits' "
     "is not a set"),
    (pack(check="{fact: cert.key_bits, at_least: '${scan.time}'}"),
     "11:44: rules[0].check.at_least: '${scan.time}' is a date; fact 'cert.key_bits' is not"),
    (pack(check="{fact: cert.key_type, equals: 3}"),
     "11:42: rules[0].check.equals: expected a string; got 3"),
    (pack(check="{fact: cert.key_type, one_of: [1]}"),
     "11:42: rules[0].check.one_of: expected a list of values; got (1,)"),
    (pack(check="{fact: cert.present, equals: 3}"),
     "11:41: rules[0].check.equals: expected true or false; got 3"),
    (pack(check="{fact: cert.key_bits, at_least: many}"),
     "11:44: rules[0].check.at_least: expected an integer; got 'many'"),
    (pack(check="{fact: cert.key_bits, at_least: true}"),
     "11:44: rules[0].check.at_least: expected an integer; got True"),
    (pack(check=PRESENT).replace("    check:", "    sources: [DOC, DOX]\n    check:"),
     "11:20: rules[0].sources[1]: unknown source 'DOX'; expected one of: DOC"),
    (TWO_SOURCES + RULE.format(severity="high", check=PRESENT)
     .replace("    check:", "    sources: [DOX]\n    check:"),
     "11:15: rules[0].sources[0]: unknown source 'DOX'; expected one of: ANX, DOC"),
    ("rempart: 1\npack: {id: mine, version: '1', title: Mine}\nrules:\n"
     + RULE.format(severity="high", check=PRESENT)
     .replace("    check:", "    sources: [DOC]\n    check:"),
     "8:15: rules[0].sources[0]: unknown source 'DOC'; expected one of: (no sources declared)"),
    (NO_SOURCES + RULE.format(severity="high", check=PRESENT)
     .replace("    check:", "    sources: [DOC]\n    check:"),
     "5:53: requirements.REQ-TLS-01.source: unknown source 'DOC'; expected one of: (no sources "
     "declared)"),
    (TWO_SOURCES.replace("source: DOC}", "source: DOK}")
     + RULE.format(severity="high", check=PRESENT),
     "5:53: requirements.REQ-TLS-01.source: unknown source 'DOK'; expected one of: DOC, ANX"),
    (with_params("{a: '${params.b}', b: '${params.a}'}",
                 "{fact: cert.key_bits, at_least: '${params.a}'}"),
     "11:17: rules[0].params.a: parameters refer to each other in a cycle: a -> b -> a"),
    # `${b}` is no parameter reference, so a and b do not form a cycle
    (with_params("{a: '${b}', b: '${a}'}", "{fact: cert.key_bits, at_least: '${params.a}'}"),
     "12:44: rules[0].check.at_least: unknown reference '${b}'; expected ${params.NAME} or one "
     f"of: {KNOWN_REFS}, ${{role.allowed_services}}, ${{flow.required}}, "
     "${host.contractor_accounts}, ${host.address}"),
    (with_params("{a: '${params.b}', b: many}", "{fact: cert.key_bits, at_least: '${params.a}'}"),
     "12:44: rules[0].check.at_least: expected an integer; got 'many'"),
    (with_params("{a: 1, b: 2}", "{fact: cert.key_bits, at_least: '${params.c}'}"),
     "12:44: rules[0].check.at_least: unknown parameter 'c'; the rule's params are: a, b"),
    (with_params("{gone: [SSLv4]}",
                 "{fact: tls.protocols, none_of: [SSLv3], except: '${params.gone}'}"),
     "12:60: rules[0].check.except: unknown value 'SSLv4' for fact 'tls.protocols'; expected "
     "any of: SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3"),
    # the first definition is named by the line of its `id`, not of its rule
    (pack(check=PRESENT) + DUPLICATE_LATER + DUPLICATE_LATER.replace("Again", "Thrice"),
     "22:9: rules[2].id: duplicate rule ID MY-PROTO-002 (first defined at line 15)"),
]


@pytest.mark.parametrize(("text", "expected"), EXACT, ids=[c[1].split(": ")[2][:40]
                                                           for c in EXACT])
def test_pack_error_exact(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        load_pack(str(path))
    assert str(info.value) == f"{path}:{expected}"


def test_unreadable_pack_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        load_pack(str(tmp_path))
    assert str(info.value).startswith(f"{tmp_path}:1:1: (file): cannot read: ")


FULL = """\
rempart: 1
pack: {id: mine, version: "2.1", title: Mine}
sources:
  DOC: {title: Our policy, issuer: Security team, date: 2026-03, reference: POL-7}
  ANX: {title: Annex}
requirements:
  REQ-TLS-01: {text: {en: Old protocols refused, fr: Vieux protocoles refusés}, source: DOC,
               section: "4.2", quote: Les protocoles obsolètes sont refusés.}
  REQ-TLS-02: {text: Strong groups, source: ANX}
rules:
  - id: MY-GROUP-001
    title: {en: Strong groups, fr: Groupes forts}
    severity: medium
    requirements: [REQ-TLS-02]
    controls: {iso27001: [A.8.24], hds: []}
    sources: [ANX]
    applies_to: [smtp, https]
    params: {ignored: [P-384]}
    when: {fact: tls.protocols, any_of: [TLSv1.2]}
    check: {fact: tls12.groups, subset_of: [P-256, x25519], except: '${params.ignored}'}
    rationale: because
    remediation: fix it
    references: ["https://example.test/groups"]
  - id: MY-PROTO-001
    title: No SSL
    severity: high
    requirements: [REQ-TLS-01]
    check: {fact: tls12.groups, none_of: [P-521], except: [P-256]}
    rationale: because
    remediation: fix it
overrides:
  - {rule: MY-PROTO-001, enabled: false, reason: legacy appliance}
  - {rule: MY-GROUP-001, severity: low}
"""


def test_every_part_of_a_loaded_pack(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(FULL)
    pack_ = load_pack(str(path))
    info = pack_.info
    assert (info.id, info.version, info.title, info.origin) == ("mine", "2.1", {"en": "Mine"},
                                                               str(path))
    assert info.sources == (
        SourceDocument(id="DOC", title="Our policy", issuer="Security team", date="2026-03",
                       reference="POL-7"),
        SourceDocument(id="ANX", title="Annex", issuer="", date="", reference=""))
    assert info.requirements == (
        Requirement(id="REQ-TLS-01", source="DOC", section="4.2",
                    text={"en": "Old protocols refused", "fr": "Vieux protocoles refusés"},
                    quote="Les protocoles obsolètes sont refusés."),
        Requirement(id="REQ-TLS-02", text={"en": "Strong groups"}, source="ANX", section="",
                    quote=""))
    groups, proto = pack_.rules
    assert groups.info.title == {"en": "Strong groups", "fr": "Groupes forts"}
    assert groups.info.controls == {"iso27001": ("A.8.24",), "hds": ()}
    assert groups.info.sources == ("ANX",)
    assert groups.info.applies_to == (ServiceProtocol.SMTP, ServiceProtocol.HTTPS)
    assert groups.info.facts == ("tls.protocols", "tls12.groups")  # the precondition's first
    assert groups.info.references == ("https://example.test/groups",)
    assert groups.info.location == SourceLocation(file=str(path), line=11, column=5)
    assert groups.params == {"ignored": ("P-384",)}
    assert groups.when == Condition(fact="tls.protocols", op="any_of", operand=("TLSv1.2",),
                                    location=SourceLocation(file=str(path), line=19,
                                                            column=41))
    # group aliases are resolved in the operand and in literal exceptions
    assert groups.check == Condition(
        fact="tls12.groups", op="subset_of", operand=("secp256r1", "x25519"),
        location=SourceLocation(file=str(path), line=20, column=44),
        exclude="${params.ignored}")
    assert proto.info.title == {"en": "No SSL"} and proto.info.rationale == {"en": "because"}
    assert proto.info.controls == {} and proto.info.sources == () and proto.info.references == ()
    assert isinstance(proto.check, Condition) and proto.check.exclude == ("secp256r1",)
    assert [(o.rule_id, o.at, o.location.line, o.enabled, o.severity, o.reason)
            for o in pack_.overrides] == [
        ("MY-PROTO-001", "overrides[0]", 32, False, None, "legacy appliance"),
        ("MY-GROUP-001", "overrides[1]", 33, None, Severity.LOW, "")]


def test_a_check_without_except_excludes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(pack(check="{fact: tls12.groups, none_of: [P-256]}"))
    check = load_pack(str(path)).rules[0].check
    assert isinstance(check, Condition)
    assert (check.operand, check.exclude) == (("secp256r1",), None)
    # a rule without applies_to applies to the services all its facts exist on
    info = load_pack(str(path)).rules[0].info
    assert info.applies_to == tuple(p for p in ServiceProtocol
                                    if p in FACTS["tls12.groups"].services)


def test_an_empty_check_takes_a_flag_only() -> None:
    """The schema already refuses a non-boolean `empty:`; the operand check refuses it too."""
    with pytest.raises(SourceError) as info:
        check_operand(None, (), "tls.protocols", "empty", 3, {})
    assert info.value.message == "expected true or false; got 3"
    check_operand(None, (), "tls.protocols", "empty", False, {})
