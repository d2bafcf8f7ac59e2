"""Property: whatever bytes an inventory or a rule pack holds, the loaders return a model or a
SourceError/ScopeError (file:line:column: field: message), never another exception, and in
bounded time (Hypothesis' deadline: generous, it proves the mechanism, not the machine)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.inventory import ScopeError, inventory_schema, parse_inventory
from scanner.models import InventoryInfo
from scanner.rulepack.loader import parse_pack
from scanner.rulepack.model import Pack
from scanner.rulepack.ruleset import build_ruleset
from scanner.yamlsrc import SourceError, load_document, validate_schema
from tests.hardening.test_input_bounds import PACK
from tests.hardening.test_validation_gaps import NETWORK

PACK_TEXT = PACK.replace("{PARAMS}", '{a: [SSLv3], b: "${params.a}"}') + """\
overrides:
  - {rule: MY-PROTO-001, severity: low, reason: legacy}
"""
LIMITS = settings(max_examples=120, deadline=dt.timedelta(seconds=10),
                  suppress_health_check=[HealthCheck.too_slow])


def load_inventory_bytes(text: bytes) -> InventoryInfo | None:
    try:
        doc = load_document("fuzz.yaml", text)
        validate_schema(doc, inventory_schema())
        return parse_inventory(doc)
    except (SourceError, ScopeError) as exc:
        assert str(exc)  # a message for the user
        return None


def load_pack_bytes(text: bytes) -> Pack | None:
    try:
        pack = parse_pack(load_document("fuzz.yaml", text), origin="fuzz.yaml")
        build_ruleset([pack])
        return pack
    except SourceError as exc:
        assert exc.line >= 1 and exc.column >= 1 and exc.field
        return None


def test_the_seeds_load() -> None:
    assert load_inventory_bytes(NETWORK.encode()) is not None
    assert load_pack_bytes(PACK_TEXT.encode()) is not None


YAML_CHARS = st.sampled_from([*"abc:-[]{},#&*!|>'\"\n \t%@`?0123456789./\\",
                             "\u00e9", "\x00", "\x1b", "\ufeff", "~", "<<"])


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> bytes:
    """The seed with a few random edits: deletions, duplications, insertions, swapped lines."""
    text = seed
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "lines"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + "".join(draw(st.lists(YAML_CHARS, max_size=8))) + text[i:]
        else:
            lines = text.split("\n")
            a = draw(st.integers(0, len(lines) - 1))
            b = draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text.encode("utf-8", "surrogatepass")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)


@st.composite
def replaced_values(draw: st.DrawFn, seed: dict[str, Any]) -> bytes:
    """The seed's structure with random values put at random places (as JSON, which is YAML)."""
    data = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = data
        for _depth in range(draw(st.integers(0, 4))):
            keys = list(node) if isinstance(node, dict) else list(range(len(node))) \
                if isinstance(node, list) else []
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if not isinstance(node[key], dict | list):
                break
            node = node[key]
        if isinstance(node, dict) and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(JSONISH)
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(JSONISH)
    return json.dumps(data, allow_nan=True).encode()


INVENTORY_DATA = load_document("seed.yaml", NETWORK.encode()).data
PACK_DATA = load_document("seed.yaml", PACK_TEXT.encode()).data


@LIMITS
@given(st.binary(max_size=600))
def test_random_bytes(text: bytes) -> None:
    load_inventory_bytes(text)
    load_pack_bytes(text)


@LIMITS
@given(st.lists(YAML_CHARS, max_size=300).map(lambda cs: "".join(cs).encode("utf-8",
                                                                          "surrogatepass")))
def test_random_yaml_text(text: bytes) -> None:
    load_inventory_bytes(text)
    load_pack_bytes(text)


@LIMITS
@given(mutated(NETWORK))
def test_mutated_inventories(text: bytes) -> None:
    load_inventory_bytes(text)


@LIMITS
@given(mutated(PACK_TEXT))
def test_mutated_packs(text: bytes) -> None:
    load_pack_bytes(text)


@LIMITS
@given(replaced_values(INVENTORY_DATA))
def test_inventories_with_random_values(text: bytes) -> None:
    load_inventory_bytes(text)


@LIMITS
@given(replaced_values(PACK_DATA))
def test_packs_with_random_values(text: bytes) -> None:
    load_pack_bytes(text)
