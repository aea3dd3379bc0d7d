"""What the equal-score benchmarks (jpeg_bytes.py, variant_bytes.py) share: the helper that
times imgate's encoders, and the search for the lowest quality that reaches a score."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def build_helper(release: bool) -> Path:
    """Builds examples/pipeline_tasks and answers its path."""
    profile = ["--release"] if release else []
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", *profile, "--example", "pipeline_tasks"],
        check=True,
    )
    return Path("target") / ("release" if release else "debug") / "examples" / "pipeline_tasks"


def lowest_reaching(
    lo: int, hi: int, measure: Callable[[int], T], reaches: Callable[[T], bool]
) -> tuple[int, T] | None:
    """The lowest quality in lo..=hi whose measurement `reaches` the goal, with that
    measurement, by binary search (scores rise with quality); None when even `hi` falls
    short. Each quality is measured once."""
    tried: dict[int, T] = {}

    def ok(q: int) -> bool:
        if q not in tried:
            tried[q] = measure(q)
        return reaches(tried[q])

    if not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
    return lo, tried[lo]
