"""A snippet: a short window of a matching text with the matched words marked, as fragments of
plain text (the API sends them as they are; pages put them in text nodes, never HTML)."""

from __future__ import annotations

from tessera.search.model import Fragment
from tessera.search.query import Query, marks

WIDTH = 160


def snippet(query: Query, text: str, width: int = WIDTH) -> tuple[Fragment, ...]:
    """About ``width`` characters of ``text`` around its first match, with the matches marked."""
    text = " ".join(text.split())
    ranges = marks(query, text)
    start = 0
    if ranges and ranges[0][0] > width // 3:
        start = text.rfind(" ", 0, ranges[0][0] - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    fragments: list[Fragment] = []
    at = start
    for first, last in ranges:
        if last <= start or first >= end:
            continue
        first, last = max(first, start), min(last, end)
        if first > at:
            fragments.append(Fragment(text[at:first], False))
        fragments.append(Fragment(text[first:last], True))
        at = last
    if at < end:
        fragments.append(Fragment(text[at:end], False))
    if start > 0:
        fragments.insert(0, Fragment("… ", False))
    if end < len(text):
        fragments.append(Fragment(" …", False))
    return tuple(fragments)
