"""Built-in packs cite their source documents as a reader can find them: title, issuer, date,
section and the sentence itself, verbatim, checked against the documents (../shared/seeds)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.models import PackInfo
from scanner.rulepack.loader import BUILTIN_PACKS, load_pack

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PACKS = {name: load_pack(name).info for name in BUILTIN_PACKS}
CATALOGUE_IDS = re.findall(r"^\| (REQ-[A-Z]+-\d+) \|", (SHARED / "REQUIREMENTS.md").read_text(),
                           re.M)
SEED_BY_KEY = {  # which seed file each source key stands for (REQUIREMENTS.md, "Sources")
    key: SHARED / path for key, path in re.findall(
        r"^- `([A-Z]+)` = `(seeds/[^`]+)`", (SHARED / "REQUIREMENTS.md").read_text(), re.M)}


@pytest.mark.parametrize("name", BUILTIN_PACKS)
def test_sources_are_cited_by_title_issuer_and_date_not_by_file(name: str) -> None:
    for doc in PACKS[name].sources:
        assert doc.title and doc.issuer and re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", doc.date)
        assert "seeds/" not in doc.reference and not doc.reference.endswith(".txt")


@pytest.mark.parametrize("name", BUILTIN_PACKS)
def test_every_quote_is_verbatim_in_its_source_document(name: str) -> None:
    pack: PackInfo = PACKS[name]
    for req in pack.requirements:
        assert req.section and req.quote, req.id
        text = SEED_BY_KEY[req.source].read_text(encoding="utf-8")
        for fragment in req.quote.split(" … "):  # an ellipsis joins fragments of one passage
            assert fragment in text, f"{name} {req.id}: not in {req.source}: {fragment!r}"


def test_the_catalogue_declares_every_requirement_of_the_catalogue_document() -> None:
    declared = {r.id for r in PACKS["catalogue"].requirements}
    assert CATALOGUE_IDS and declared >= set(CATALOGUE_IDS)
    packs = {r.id for name in BUILTIN_PACKS for r in PACKS[name].requirements}
    assert declared == packs  # and every requirement a built-in pack declares


@pytest.mark.parametrize("name", [n for n in BUILTIN_PACKS if n != "catalogue"])
def test_packs_cite_requirements_as_the_catalogue_does(name: str) -> None:
    catalogue = {r.id: r for r in PACKS["catalogue"].requirements}
    titles = {d.id: d for d in PACKS["catalogue"].sources}
    for req in PACKS[name].requirements:
        ref = catalogue[req.id]
        assert (req.source, req.section, req.quote) == (ref.source, ref.section, ref.quote)
    for doc in PACKS[name].sources:
        assert doc == titles[doc.id]


@pytest.mark.parametrize("name", BUILTIN_PACKS)
def test_every_mapped_control_has_a_title_in_both_languages(name: str) -> None:
    from reports import i18n

    for rule in load_pack(name).rules:
        for framework in ("iso27001", "soc2"):
            for control in rule.info.controls.get(framework, ()):
                for lang in i18n.LANGS:
                    assert i18n.control_title(lang, framework, control), (rule.info.id, control)
        assert rule.info.controls.get("hds", ()) == (), "HDS has its own numbering: [] if none"
