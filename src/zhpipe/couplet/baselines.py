"""The trivial floors a couplet model must beat, computed from the same training pairs.

* **lookup**: each ideograph of the upper line becomes the lower character most often found at
  the same position opposite it in the training pairs (never itself); an ideograph never seen
  becomes the commonest lower character; anything else is copied. No context at all.
* **memorise**: the lower line of an identical training upper line where there is one (the
  commonest, if several), else the lookup line: what a model that only memorises would score.
* **nearest**: the lower line of the most similar training upper line of the same length
  (TF-IDF over character unigrams and bigrams, :class:`zhpipe.seq2seq.retrieval.Retrieval`):
  on an upper line seen in training that is (nearly always) its own lower line, on a novel one
  the answer to the closest line anyone wrote. Every line it writes is a training line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from zhpipe.corpus.text import is_han
from zhpipe.seq2seq.retrieval import Retrieval


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


class Nearest:
    """The lower line of the most similar training upper line of the same length (the lookup
    line where no training line has that length)."""

    def __init__(self, pairs: Sequence[tuple[str, str]], lookup: Lookup):
        by_len: dict[int, dict[str, str]] = defaultdict(dict)
        for upper, lower in pairs:
            by_len[len(upper)].setdefault(upper, lower)  # one answer per distinct upper line
        self.pairs = by_len
        self.index: dict[int, Retrieval] = {}
        self.lookup = lookup

    def __call__(self, uppers: Sequence[str]) -> list[str]:
        out: list[str] = [""] * len(uppers)
        groups: dict[int, list[int]] = defaultdict(list)
        for i, u in enumerate(uppers):
            groups[len(u)].append(i)
        for n, rows in groups.items():
            if n not in self.pairs:
                for i in rows:
                    out[i] = self.lookup(uppers[i])
                continue
            if n not in self.index:
                known = self.pairs[n]
                self.index[n] = Retrieval(list(known), list(known.values()), chars=None,
                                          ngrams=(1, 2))
            for i, lower in zip(rows, self.index[n]([uppers[i] for i in rows]), strict=True):
                out[i] = lower
        return out


def floors(train: Sequence[tuple[str, str]], uppers: Sequence[str]) -> dict[str, list[str]]:
    """Each floor's lower lines for ``uppers``."""
    lookup = Lookup(train)
    memorise = Memorise(train, lookup)
    return {"lookup": [lookup(u) for u in uppers], "memorise": [memorise(u) for u in uppers],
            "nearest": Nearest(train, lookup)(uppers)}
