"""The baselines the poem VAE is judged against, trained on the same couplets.

* :class:`BigramSampler`: a character bigram model over the couplet text, punctuation included,
  with a start and an end symbol and add-``k`` smoothing; it samples character by character until
  the end symbol, so it can also get the length and punctuation wrong.
* :func:`training_lines`: couplets drawn from the training set itself: the ceiling for the rules
  of the form (novelty 0 by construction).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

BOS, EOS = "<s>", "</s>"


class BigramSampler:
    def __init__(self, couplets: Sequence[str], k: float = 0.01, max_chars: int = 40):
        self.k, self.max_chars = k, max_chars
        pairs: Counter[tuple[str, str]] = Counter()
        for text in couplets:
            seq = [BOS, *text, EOS]
            pairs.update(zip(seq, seq[1:], strict=False))
        self.symbols = sorted({b for _, b in pairs} | {BOS})
        index = {s: i for i, s in enumerate(self.symbols)}
        self.index = index
        counts = np.zeros((len(self.symbols), len(self.symbols)), np.float64)
        for (a, b), c in pairs.items():
            counts[index[a], index[b]] = c
        counts[:, index[BOS]] = -k  # never go back to the start: 0 after smoothing
        smoothed = counts + k
        self.prob = smoothed / smoothed.sum(1, keepdims=True)
        self.cum = self.prob.cumsum(1)

    def sample(self, count: int, seed: int | None = None) -> list[str]:
        rng = np.random.default_rng(seed)
        eos = self.index[EOS]
        out = []
        for _ in range(count):
            cur, text = self.index[BOS], []
            for _ in range(self.max_chars):
                nxt = min(int(np.searchsorted(self.cum[cur], rng.random() * self.cum[cur, -1])),
                          len(self.symbols) - 1)
                if nxt == eos:
                    break
                text.append(self.symbols[nxt])
                cur = nxt
            out.append("".join(text))
        return out

    def nll_chars(self, couplets: Sequence[str]) -> float:
        """Mean negative log-likelihood (nats per couplet) of the couplets' characters, each
        given the symbol before it (the punctuation is given: its own probability and the end
        symbol's are not counted, as the VAE is given the form). Unseen characters get the
        smoothed mass of one symbol."""
        total = 0.0
        for text in couplets:
            seq = [BOS, *text]
            for a, b in zip(seq, seq[1:], strict=False):
                if b in "，。":
                    continue
                i = self.index.get(a)
                j = self.index.get(b)
                p = self.prob[i, j] if i is not None and j is not None else 1.0 / len(self.symbols)
                total -= math.log(p)
        return total / max(len(couplets), 1)


def training_lines(couplets: Sequence[str], count: int, seed: int | None = None) -> list[str]:
    rng = np.random.default_rng(seed)
    return [couplets[i] for i in rng.choice(len(couplets), size=min(count, len(couplets)),
                                            replace=False)]
