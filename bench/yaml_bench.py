"""Parse time of hostile YAML shapes: Rempart's loader (libyaml events) against the
round-trip ruamel.yaml parser it replaced, at growing sizes. Linear means the time doubles
when the size doubles.

    .venv/bin/python bench/yaml_bench.py
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from ruamel.yaml import YAML

from scanner.yamlsrc import SourceError, load_document

HEAD = "rempart: 1\ncontract: {customer: x}\nscope: [127.0.0.0/8]\nhosts: []\n"
SHAPES: dict[str, Callable[[int], str]] = {
    "comment line": lambda n: HEAD + "# " + "a" * n + "\n",
    "plain scalar with spaces": lambda n: HEAD + "k: " + "a " * (n // 2) + "\n",
    "flow list on one line": lambda n: HEAD + "k: [" + "a," * (n // 2) + "]\n",
}


def timed(parse: Callable[[bytes], object], text: bytes) -> float:
    start = time.perf_counter()
    with contextlib.suppress(SourceError):  # refused (too many values): the refusal is timed
        parse(text)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'shape':<26} {'bytes':>9} {'rempart s':>10} {'ruamel rt s':>12}")
    for name, make in SHAPES.items():
        for size in (125_000, 250_000, 500_000):
            text = make(size).encode()
            ours = timed(lambda t: load_document("bench.yaml", t), text)
            theirs = timed(lambda t: YAML(typ="rt").load(t), text)
            print(f"{name:<26} {len(text):>9} {ours:>10.3f} {theirs:>12.3f}", flush=True)


if __name__ == "__main__":
    main()
