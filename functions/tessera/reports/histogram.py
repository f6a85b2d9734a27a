"""Durations as mergeable fixed-bucket histograms: percentiles over any set of hours and
dimension values by adding bucket counts, with a stated error bound.

Bucket 0 holds durations under one second; bucket ``i >= 1`` holds ``[RATIO**(i-1), RATIO**i)``
seconds. A quantile is reported as the geometric middle of the bucket the rank falls in, so it is
within :data:`RELATIVE_ERROR` (4.9 %) of the exact nearest-rank value. Histograms are plain
``{bucket: count}`` maps, so merging is adding and a decrement undoes an increment exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RATIO = 1.1
RELATIVE_ERROR = math.sqrt(RATIO) - 1  # the largest relative error of a reported quantile
MAX_BUCKET = 200  # 1.1**200 s is far beyond any ticket's lifetime; longer durations land here


def bucket(seconds: float) -> int:
    """The bucket a duration (in seconds, never negative) is counted in."""
    if seconds < 1:
        return 0
    return min(1 + math.floor(math.log(seconds) / math.log(RATIO)), MAX_BUCKET)


def representative(index: int) -> float:
    """The value reported for a bucket: its geometric middle (0 for bucket 0)."""
    if index <= 0:
        return 0.0
    return float(RATIO ** (index - 0.5))


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for histogram in histograms:
        for index, count in histogram.items():
            total[index] = total.get(index, 0) + count
    return {i: n for i, n in total.items() if n}


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of the counted durations, or None if empty."""
    n = sum(histogram.values())
    if n <= 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return round(representative(index), 1)
    return round(representative(max(histogram)), 1)
