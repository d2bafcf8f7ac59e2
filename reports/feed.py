"""Atom feeds of the status events (feedgen): one for the estate, one per service.

Entry IDs come from the events (stable across runs), so feed readers show each event once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from reports.sarif import clean
from scanner.history.status import Event

LABEL = {"incident": "Incident", "resolution": "Resolution", "action": "Action to take",
         "maintenance": "Maintenance"}


def feed_id(inventory_key: str, service: str | None) -> str:
    digest = hashlib.sha256(f"{inventory_key}\n{service or ''}".encode()).hexdigest()[:24]
    return f"urn:rempart:feed:{digest}"


def render_feed(events: Sequence[Event], *, title: str, inventory_key: str,
                service: str | None = None, self_href: str = "feed.atom") -> str:
    """An Atom feed of `events` (all of them, or those of `service`)."""
    shown = [e for e in events if service is None or not e.services or service in e.services]
    fg = FeedGenerator()
    fg.id(feed_id(inventory_key, service))
    fg.title(clean(title))
    fg.author({"name": "Rempart"})
    fg.link(href=self_href, rel="self")
    fg.language("en")
    fg.generator("Rempart")
    updated = max((e.when for e in shown), default=None)
    if updated is not None:
        fg.updated(updated)
    for e in reversed(shown):  # feedgen lists the last added first
        entry = fg.add_entry()
        entry.id(e.id)
        entry.title(clean(f"[{LABEL[e.kind.value]}] {e.title}"))
        entry.updated(e.when)
        entry.published(e.when)
        entry.category(term=e.kind.value, label=LABEL[e.kind.value])
        entry.content(clean(e.text), type="text")
    text: bytes = fg.atom_str(pretty=True)
    return text.decode("utf-8")
