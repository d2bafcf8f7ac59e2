"""Text from inputs made safe for a terminal, a progress bar or a log line.

Names come from inventories, packs, results and servers, so they may carry escape sequences
(which a terminal would obey), other control characters, bidirectional overrides (which
reorder what is shown) or Rich markup (`[bold]`, which the progress bar would interpret or choke
on). Each such character is shown as a visible escape (`\\x1b`, `\\u202e`) so a user can find it
in the file; markup is escaped only where Rich renders the text.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, separators
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object, *, lines: bool = False) -> str:
    """`text` with every control or formatting character shown as an escape; newlines kept
    when `lines` (multi-line messages), escaped otherwise."""
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE
    return pattern.sub(_visible, str(text))


def rich_safe(text: object) -> str:
    """`safe(text)` for a Rich markup context (progress bar descriptions, markup prints)."""
    from rich.markup import escape  # rich only where it renders: not for a quiet scan

    return escape(safe(text))
