"""What an HTML parser sees in a rendered report: elements, attributes, text, sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Parsed:
    tags: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str, str | None]] = field(default_factory=list)  # tag, name, value
    ids: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    style: str = ""

    @property
    def all_text(self) -> str:
        return "".join(self.text)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            self.out.attrs.append((tag, name, value))
            if name == "id" and value is not None:
                self.out.ids.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.out.style += data
        else:
            self.out.text.append(data)


def parse(html: str) -> Parsed:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.out


def section(html: str, section_id: str) -> str:
    """The markup of one top-level part of the report, up to the next part."""
    if section_id == "cover":
        return html[html.index('<header class="cover"'):html.index("</header>")]
    parts = list(re.finditer(r'<section id="([^"]+)" class="part"', html))
    for i, match in enumerate(parts):
        if match.group(1) == section_id:
            end = parts[i + 1].start() if i + 1 < len(parts) else html.index("</main>")
            return html[match.start():end]
    raise KeyError(section_id)


def part_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)" class="part"', html)
