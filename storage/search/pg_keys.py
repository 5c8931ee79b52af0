"""The key words migration 0021 adds to each PostgreSQL tier vector, built again on the query side.

A tier vector (terms_a, terms_b, terms_c) holds, besides its English words, the record's facet
words (storage.search.facet), its workspace `w<id>x0` and its aligned id blocks `i<k>x<n>`
(n = record_id // 10**k, k in BLOCK_LEVELS). A search ANDs the words it wants with these keys in
one tsquery, so one GIN scan answers it and GIN's fast scan lets the rarest key bound the work.
An id range becomes the OR of the fewest aligned blocks covering it: at most 9 a level on each
side, a few dozen at worst, and the blocks at its two ends may reach past it (the caller checks
the exact bounds on the row).
"""

from __future__ import annotations

BLOCK_LEVELS = range(3, 10)
"""Block sizes 10**3 to 10**9 ids; keep in step with migration 0021."""


def workspace_key(workspace_id: int) -> str:
    return f"w{workspace_id}x0"


def block_key(level: int, record_id: int) -> str:
    return f"i{level}x{record_id // 10**level}"


def id_blocks(low: int, high: int) -> list[str]:
    """Block words whose union holds every id in [low, high] and as few others as the smallest
    block allows; [] for an empty range."""
    smallest = BLOCK_LEVELS[0]
    low = max(low, 0)
    if low > high:
        return []
    words: list[str] = []
    at = low - low % 10**smallest  # the first block may start before `low`
    while at <= high:
        level = smallest
        for k in reversed(BLOCK_LEVELS):
            size = 10**k
            if at % size == 0 and at + size - 1 <= high:
                level = k
                break
        words.append(block_key(level, at))
        at += 10**level
    return words


def tsquery(groups: list[list[str]]) -> str:
    """Keys are letters and digits only: safe as tsquery text. Every group is ORed inside and the
    groups ANDed."""
    return " & ".join("(" + " | ".join(group) + ")" for group in groups if group)
