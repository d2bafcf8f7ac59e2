"""Locale-aware formatting of dates, numbers and durations (Babel), plus clipping of long text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal, format_percent

CLIP_CHARS = 1200
"""Longer text from a server is cut in the report; the JSON result keeps it whole."""


@dataclass(frozen=True)
class Clipped:
    text: str
    omitted: int  # characters left out, 0 if none


def clip(text: str, limit: int = CLIP_CHARS) -> Clipped:
    if len(text) <= limit:
        return Clipped(text, 0)
    return Clipped(text[:limit], len(text) - limit)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    if code <= 0xFF:
        return f"\\x{code:02x}"  # e.g. ESC shown as the text \x1b
    return f"\\u{code:04x}"


# C0 controls but tab/LF/CR, DEL, C1 controls, lone surrogates and noncharacters: forbidden in
# an HTML document (the validator rejects them); lone surrogates cannot even be encoded.
_NONCHARACTERS = "".join(chr(p) + chr(p + 1) for p in range(0xFFFE, 0x110000, 0x10000))
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)


def printable(text: str) -> str:
    """Text with every character HTML forbids replaced by a visible stand-in."""
    return _FORBIDDEN.sub(_escape_char, text)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes in results are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Formats:
    lang: str

    def datetime(self, value: datetime) -> str:
        return format_datetime(as_utc(value), "medium", tzinfo=UTC, locale=self.lang) + " UTC"

    def date(self, value: date) -> str:
        return format_date(value, "long", locale=self.lang)

    def partial_date(self, value: str) -> str:
        """YYYY-MM-DD, YYYY-MM or YYYY, as precise as it is given."""
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 3:
            return self.date(date(*parts))
        if len(parts) == 2:
            return str(format_date(date(parts[0], parts[1], 1), "MMMM y", locale=self.lang))
        return str(parts[0])

    def number(self, value: float) -> str:
        return str(format_decimal(value, locale=self.lang))

    def percent(self, part: int, whole: int) -> str:
        if not whole:
            return "—"
        return str(format_percent(part / whole, "#,##0.0 %", locale=self.lang))

    def seconds(self, value: float) -> str:
        return str(format_decimal(value, "#,##0.0", locale=self.lang)) + "\u00a0s"

    def span(self, seconds: int) -> str:
        """A rough length of time, e.g. `1 year` for an HSTS max-age."""
        return str(format_timedelta(timedelta(seconds=seconds), locale=self.lang))

    def duration(self, value: timedelta) -> str:
        total = max(0, round(value.total_seconds()))
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [f"{hours}\u00a0h"] if hours else []
        if hours or minutes:
            parts.append(f"{minutes}\u00a0min")
        parts.append(f"{seconds}\u00a0s")
        return " ".join(parts)


def iso(value: datetime | date) -> str:
    """Machine-readable form for <time datetime=...>: HTML allows at most milliseconds."""
    if isinstance(value, datetime):
        moment = as_utc(value)
        spec = "milliseconds" if moment.microsecond else "seconds"
        return moment.isoformat(timespec=spec).replace("+00:00", "Z")
    return value.isoformat()
