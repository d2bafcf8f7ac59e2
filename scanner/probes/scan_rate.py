"""How fast the exposure scan sends: `--scan-rate` presets and their nmap arguments.

Behind a firewall that drops, nmap learns nothing from silence and, left to its timing
template, slows down to a few dozen ports a second (a full range then takes over 20 minutes).
A minimum packet rate keeps it at network speed, and one retry is enough to find every open
port on a network that does not lose packets; the `careful` preset is for the ones that do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scanner.models import Phrase, say

MAX_TOTAL_RATE = 50_000  # packets per second for one nmap run, whatever the host count
MAX_HOSTGROUP = 64  # hosts nmap scans side by side in one run


@dataclass(frozen=True)
class ScanRate:
    """The exposure scan's pace. `rate` is a minimum in packets per second per host scanned
    at once (nmap --min-rate is for the whole run: it grows with the hosts of the run)."""

    name: str
    rate: int  # packets per second per host, at least
    retries: int  # nmap --max-retries: probes resent to a port that did not answer
    max_rtt_ms: int  # nmap --max-rtt-timeout: how long to wait for one answer at most
    intensity: int  # nmap --version-intensity (0-9) of service detection on open ports

    def arguments(self, hosts: int) -> tuple[str, ...]:
        total = min(self.rate * max(1, hosts), MAX_TOTAL_RATE)
        group = min(max(1, hosts), MAX_HOSTGROUP)
        return ("-T4", "--min-rate", str(total), "--max-retries", str(self.retries),
                "--max-rtt-timeout", f"{self.max_rtt_ms}ms", "--min-hostgroup", str(group))

    def phrase(self) -> Phrase:
        """`describe()` in the reports' words (plural on the retries)."""
        return say("summary.ports.rate", name=self.name, rate=self.rate, n=self.retries,
                   rtt=self.max_rtt_ms, intensity=self.intensity)

    def describe(self) -> str:
        return (f"scan rate {self.name}: at least {self.rate} packets/s per host, "
                f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}, answers awaited "
                f"{self.max_rtt_ms} ms at most, service detection intensity {self.intensity}")


PRESETS = {
    "careful": ScanRate("careful", rate=300, retries=3, max_rtt_ms=1000, intensity=2),
    "default": ScanRate("default", rate=3000, retries=1, max_rtt_ms=500, intensity=2),
    "fast": ScanRate("fast", rate=10_000, retries=1, max_rtt_ms=250, intensity=0),
}
DEFAULT = PRESETS["default"]
_LIMITS = {"rate": (10, MAX_TOTAL_RATE), "retries": (0, 10), "max_rtt_ms": (50, 10_000),
           "intensity": (0, 9)}
_KEYS = {"rate": "rate", "retries": "retries", "rtt": "max_rtt_ms", "intensity": "intensity"}
USAGE = ("expected a preset (careful, default, fast) or packets per second, optionally "
         "followed by ,retries=N ,rtt=MS ,intensity=0-9; e.g. fast or 5000,retries=2")


def parse_scan_rate(text: str) -> ScanRate:
    """`fast`, `5000`, `careful,intensity=4`, `default,rate=8000,retries=2,rtt=300`."""
    head, *changes = [p.strip() for p in text.strip().lower().split(",")]
    if head.isdigit():
        chosen = replace(DEFAULT, name=f"{head}/s", rate=int(head))
    elif head in PRESETS:
        chosen = PRESETS[head]
    else:
        raise ValueError(f"unknown scan rate {head!r}; {USAGE}")
    values: dict[str, int] = {}
    for change in changes:
        key, sep, number = change.partition("=")
        if not sep or key not in _KEYS or not number.isdigit():
            raise ValueError(f"bad scan rate setting {change!r}; {USAGE}")
        values[_KEYS[key]] = int(number)
    values.setdefault("rate", chosen.rate)
    for key, value in values.items():
        low, high = _LIMITS[key]
        if not low <= value <= high:
            raise ValueError(f"{key} {value} is out of range ({low} to {high}); {USAGE}")
    name = chosen.name + "".join(f",{c}" for c in changes)
    return replace(chosen, name=name, **values)
