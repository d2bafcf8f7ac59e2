"""SPF record syntax (RFC 7208 sections 4.6, 5, 6) and macro expansion (section 7): no DNS here."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

Ip = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MACRO = re.compile(r"%\{([a-zA-Z])(\d*)(r?)([-.+,/_=]*)\}|%([%_-])|%")
_TOPLABEL = re.compile(r"\.([a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])\.?$", re.I)
_CIDR = re.compile(r"(?:/(0|[1-9]\d*))?(?://(0|[1-9]\d*))?$")


class SpfError(Exception):
    """A check_host() result other than a match: permerror or temperror, with the include path."""

    result = "permerror"

    def __init__(self, message: str, chain: tuple[str, ...] = (), unreachable: bool = False,
                 timed_out: bool = False):
        super().__init__(message)
        self.message, self.chain, self.unreachable = message, chain, unreachable
        self.timed_out = timed_out  # no answer in time (unreachable: no answer at all)


class TempError(SpfError):
    result = "temperror"


@dataclass(frozen=True)
class Term:
    text: str  # as written in the record
    result: str  # what a match yields
    name: str
    spec: str | None = None  # domain-spec (include, a, mx, ptr, exists)
    net: Net | None = None  # ip4 / ip6
    cidr4: int = 32
    cidr6: int = 128


def _check_spec(spec: str, text: str) -> str:
    """Syntax of a domain-spec: known macro letters only, ending in a top label or a macro."""
    for m in _MACRO.finditer(spec):
        if m.group(0) == "%" or (m.group(1) and m.group(1).lower() not in "slodiphv"):
            raise SpfError(f"bad macro in {text!r}")
        if m.group(2) and int(m.group(2)) == 0:
            raise SpfError(f"zero label count in {text!r}")
    if not spec or not (_TOPLABEL.search(spec) or spec.endswith("}")):
        raise SpfError(f"invalid domain in {text!r}")
    return spec


def _mechanism(word: str) -> Term:
    m = re.fullmatch(r"([-+~?]?)([a-zA-Z][a-zA-Z0-9]*)(.*)", word)
    if not m:
        raise SpfError(f"syntax error at {word!r}")
    result, name, rest = QUALIFIERS[m.group(1) or "+"], m.group(2).lower(), m.group(3)
    if name in ("ip4", "ip6"):
        addr, slash, bits = rest.removeprefix(":").partition("/")
        top = 32 if name == "ip4" else 128
        if not rest.startswith(":") or not re.fullmatch(r"0|[1-9]\d*" if slash else "", bits):
            raise SpfError(f"syntax error at {word!r}")
        try:
            net = ipaddress.ip_network(f"{addr}/{bits or top}", strict=False)
        except ValueError:
            raise SpfError(f"invalid network in {word!r}") from None
        if net.max_prefixlen != top:
            raise SpfError(f"invalid network in {word!r}")
        return Term(word, result, name, net=net)
    if name in ("all", "include", "exists", "ptr"):
        need = name in ("include", "exists")
        if (rest and (name == "all" or rest[0] != ":")) or (need and not rest):
            raise SpfError(f"syntax error at {word!r}")
        return Term(word, result, name, _check_spec(rest[1:], word) if rest else None)
    if name not in ("a", "mx"):
        raise SpfError(f"unknown mechanism {word!r}")
    cidr = _CIDR.search(rest)
    assert cidr is not None  # the pattern matches the empty string
    c4, c6 = int(cidr.group(1) or 32), int(cidr.group(2) or 128)
    spec = rest[: cidr.start()]
    if c4 > 32 or c6 > 128 or (spec and not spec.startswith(":")):
        raise SpfError(f"syntax error at {word!r}")
    return Term(word, result, name, _check_spec(spec[1:], word) if spec else None, None, c4, c6)


def parse_record(record: str) -> tuple[list[Term], str | None]:
    """The mechanisms and the redirect= target of a v=spf1 record (any syntax error: permerror)."""
    terms: list[Term] = []
    mods: dict[str, str] = {}
    for word in record.split(" ")[1:]:
        if not word:
            continue
        mod = re.fullmatch(r"([a-zA-Z][a-zA-Z0-9_.-]*)=(.*)", word)
        if mod is None:
            terms.append(_mechanism(word))
            continue
        key = mod.group(1).lower()
        if key in mods and key in ("redirect", "exp"):
            raise SpfError(f"two {key}= modifiers")
        mods[key] = _check_spec(mod.group(2), word) if key == "redirect" else mod.group(2)
    return terms, mods.get("redirect")


def expand(spec: str, ip: Ip, sender: str, domain: str) -> str:
    """RFC 7208 section 7 macro expansion of a domain-spec."""
    local, _, origin = sender.rpartition("@")
    if ip.version == 4:
        i, v = str(ip), "in-addr"
    else:
        i, v = ".".join(ip.exploded.replace(":", "")), "ip6"
    values = {"s": sender, "l": local or "postmaster", "o": origin, "d": domain, "i": i,
              "v": v, "h": origin, "p": "unknown"}

    def one(m: re.Match[str]) -> str:
        if m.group(5):
            return {"%": "%", "_": " ", "-": "%20"}[m.group(5)]
        letter, digits, rev, delims = m.group(1, 2, 3, 4)
        if not letter or letter.lower() not in values:
            raise SpfError(f"unsupported macro {m.group(0)!r} in {spec!r}")
        parts = re.split("[" + re.escape(delims or ".") + "]", values[letter.lower()])
        parts = parts[::-1] if rev else parts
        text = ".".join(parts[-int(digits):] if digits else parts)
        return quote(text, safe="-._~") if letter.isupper() else text

    out = _MACRO.sub(one, spec).rstrip(".")
    while len(out) > 253 and "." in out:  # RFC 7208 7.3: drop labels on the left
        out = out.split(".", 1)[1]
    return out
