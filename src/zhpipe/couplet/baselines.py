"""The trivial floors a couplet model must beat, computed from the same training pairs.

* **lookup**: each ideograph of the upper line becomes the lower character most often found at
  the same position opposite it in the training pairs (never itself); an ideograph never seen
  becomes the commonest lower character; anything else is copied. No context at all.
* **memorise**: the lower line of an identical training upper line where there is one (the
  commonest, if several), else the lookup line: what a model that only memorises would score.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from zhpipe.corpus.text import is_han


class Lookup:
    def __init__(self, pairs: Sequence[tuple[str, str]]):
        opposite: dict[str, Counter] = defaultdict(Counter)
        overall: Counter = Counter()
        for upper, lower in pairs:
            for u, lo in zip(upper, lower, strict=True):
                if is_han(u) and is_han(lo) and u != lo:
                    opposite[u][lo] += 1
                    overall[lo] += 1
        self.table = {u: c.most_common(1)[0][0] for u, c in opposite.items()}
        self.fallback = overall.most_common(1)[0][0] if overall else "之"

    def __call__(self, upper: str) -> str:
        return "".join(self.table.get(u, self.fallback) if is_han(u) else u
                       for u in upper)


class Memorise:
    def __init__(self, pairs: Sequence[tuple[str, str]], lookup: Lookup):
        seen: dict[str, Counter] = defaultdict(Counter)
        for upper, lower in pairs:
            seen[upper][lower] += 1
        self.lines = {u: c.most_common(1)[0][0] for u, c in seen.items()}
        self.lookup = lookup

    def __call__(self, upper: str) -> str:
        return self.lines.get(upper) or self.lookup(upper)


def floors(train: Sequence[tuple[str, str]], uppers: Sequence[str]) -> dict[str, list[str]]:
    """Each floor's lower lines for ``uppers``."""
    lookup = Lookup(train)
    memorise = Memorise(train, lookup)
    return {"lookup": [lookup(u) for u in uppers], "memorise": [memorise(u) for u in uppers]}
