"""Percentiles of samples and medians across runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation between closest ranks; NaN if empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def combine(values: Sequence[Any]) -> Any:
    """What the table shows for a metric over runs: the median of numbers, ``all`` of booleans."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return all(present)
    numbers = [float(v) for v in present if not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(numbers) if numbers else math.nan
