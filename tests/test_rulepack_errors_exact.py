"""More broken packs, each refused word for word (file:line:column: field: what was expected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.rulepack.loader import BUILTIN_PACKS, load_pack
from scanner.rulepack.model import Combined
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
