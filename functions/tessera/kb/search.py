"""The per-language search index the KB pages query in the browser, offline.

Format (``kb/<language>/search.json``, versioned by ``v``)::

    {"v": 1, "language": "fa",
     "docs": [[url, title, description, category], ...],
     "terms": {"<normalised word>": [doc, weight, doc, weight, ...], ...}}

Weights are BM25 scores computed at publish time over the fields an article has (title counts
most, then keywords, the description, the section and category names, then the text), times
100 and rounded: the browser only adds them up. Typo tolerance (edit distance 1 or 2 by word
length), prefixes (the word being typed) and ranking are ``portal_static/assets/portal/search.js``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tessera.text.normalise import tokens

FIELD_WEIGHTS = {"title": 4.0, "keywords": 3.0, "description": 2.0, "names": 1.5, "text": 1.0}
K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Entry:
    url: str
    title: str
    description: str
    category: str
    fields: dict[str, str]  # field name (FIELD_WEIGHTS) -> its text


def build(language: str, entries: Iterable[Entry]) -> dict[str, Any]:
    entries = list(entries)
    weighted: list[Counter[str]] = []
    for entry in entries:
        counts: Counter[str] = Counter()
        for name, text in entry.fields.items():
            for word in tokens(text):
                counts[word] += FIELD_WEIGHTS[name]  # type: ignore[assignment]
        weighted.append(counts)
    total = len(entries) or 1
    average = sum(sum(c.values()) for c in weighted) / total or 1.0
    frequency: Counter[str] = Counter(word for counts in weighted for word in counts)
    postings: dict[str, list[int]] = {}
    for doc, counts in enumerate(weighted):
        length = sum(counts.values())
        for word, tf in counts.items():
            idf = math.log(1 + (total - frequency[word] + 0.5) / (frequency[word] + 0.5))
            score = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
            postings.setdefault(word, []).extend((doc, max(1, round(score * 100))))
    return {
        "v": 1,
        "language": language,
        "docs": [[e.url, e.title, e.description, e.category] for e in entries],
        "terms": dict(sorted(postings.items())),
    }
