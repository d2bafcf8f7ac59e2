"""A small English-prose detector for reports in another language.

It reads the text a reader sees, leaving out what is data by design: `<code>` (fact names, rule
IDs, subject keys), elements of class `data` (what servers sent and what probes logged, kept as
recorded) and any part marked `lang="en"` inside the document. In the rest it looks for common
English words that are not also French words; proper names are not on the list.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Frequent English words (function words and this report's vocabulary) that French does not use.
_ENGLISH_WORDS = (
    "the of and with from to for is are was were be been being has have had does did not no none "
    "this that these those which what when where who why how than then there their they it its "
    "found expected accepted refused offered missing unknown could cannot checked check checks "
    "only values value any all least most before after above below between without within into "
    "true false yes pass passed fail failed failure error errors rule rules subject subjects fact "
    "facts open closed connection timed timeout reset certificate certificates server servers "
    "expires expired valid trusted signed evidence severity high low medium critical status "
    "result results report scan scanned scanner verdict compliant incomplete applicable apply "
    "applies here gathered compared declared doesn't isn't aren't can't won't should must may "
    "will would each every other some such also just more less many much new old same own per via "
    "requirement requirements control controls source document documents finding findings "
    "remediation rationale summary executive contents appendix probe probes reason duration "
    "connections protocol address name names host hosts role roles customer contract end date "
    "started finished version inventory scope networks network services flows flow zone zones "
    "required observed allowed unexpected difference legend shown tested "
)
ENGLISH = frozenset(_ENGLISH_WORDS.split())

# English words that are also French words, or names the reports use as such.
FRENCH_TOO = frozenset({"services", "service", "version", "protocol", "applicable", "verdict",
                        "contract", "date", "zone", "zones", "source", "document", "documents",
                        "total", "port", "ports", "scanner", "probe", "via"})
ENGLISH_ONLY = ENGLISH - FRENCH_TOO

_TOKEN = re.compile(r"[\w'’][\w'’.:/@-]*")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")  # a token that is a plain word (not a name.like-this)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


class _Visible(HTMLParser):
    """Text outside <style>, <code>, class="data" and lang="en" elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        attr = dict(attrs)
        skip = (tag in ("style", "code", "script")
                or "data" in (attr.get("class") or "").split()
                or (attr.get("lang") == "en" and tag != "html"))
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return " ".join(parser.text)


def english_words(html: str) -> list[str]:
    """English-only words in the reader-visible, non-data text, in order of appearance."""
    words = (t.rstrip(".:") for t in _TOKEN.findall(visible_text(html)))
    return [w for w in words if _WORD.fullmatch(w) and w.lower() in ENGLISH_ONLY]


def how_cells(html: str) -> list[str]:
    """The appendix's "how it was established" cells (probe summaries), markup kept."""
    return re.findall(r'<span class="how">(.*?)</span>(?=</td>|<br>)', html, re.S)
