"""Completion-index bookkeeping for Indexed Jobs: index-set strings and pending indexes.

refs kubernetes/kubernetes:pkg/controller/job/indexed_job_utils.go (orderedIntervals.String,
parseIndexesFromString, firstPendingIndexes, appendDuplicatedIndexPodsForRemoval, getIndex)
"""

from __future__ import annotations

from collections.abc import Iterable


def format_indexes(indexes: Iterable[int]) -> str:
    """Ascending, comma separated; runs of 3+ as `a-b`, runs of 2 as `a,b`: {0,1,2,4,5,6} -> `0-2,4-6`."""
    # ref indexed_job_utils.go (orderedIntervals.String)
    ordered = sorted(set(indexes))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(v) for v in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


def parse_indexes(text: str | None, completions: int) -> frozenset[int]:
    """The indexes of an index-set string, keeping those below `completions`."""
    # ref indexed_job_utils.go (parseIndexesFromString): out-of-range and malformed parts are dropped
    out: set[int] = set()
    for part in (text or "").split(","):
        bounds = part.split("-")
        if not part or not all(b.isdigit() for b in bounds) or len(bounds) > 2:
            continue
        low, high = int(bounds[0]), int(bounds[-1])
        out.update(range(low, min(high, completions - 1) + 1))
    return frozenset(out)


def first_pending_indexes(count: int, completions: int, excluded: Iterable[int]) -> tuple[int, ...]:
    """The `count` lowest indexes below `completions` that are not excluded (succeeded, active, failed...)."""
    # ref indexed_job_utils.go (firstPendingIndexes)
    taken = set(excluded)
    found: list[int] = []
    index = 0
    while len(found) < count and index < completions:
        if index not in taken:
            found.append(index)
        index += 1
    return tuple(found)
