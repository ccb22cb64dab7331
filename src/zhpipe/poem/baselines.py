"""The baselines the poem VAE is judged against, trained on the same couplets.

* :class:`BigramSampler`: a character bigram model over the couplet text, punctuation included,
  with a start and an end symbol and add-``k`` smoothing. Given the form (``chars``), as the VAE
  is, it samples the ``2 * chars`` characters one by one, each from the bigram distribution
  restricted to characters, with the comma and the full stop put in their places (the first
  character of the second line follows the comma); free-running, it samples until the end
  symbol, and can get the length and punctuation wrong.
* :func:`training_lines`: couplets drawn from the training set itself: the ceiling for the rules
  of the form (novelty 0 by construction).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from zhpipe.corpus.text import is_han

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
        # the distribution restricted to characters, for sampling given the form
        chars = np.array([len(s) == 1 and is_han(s) for s in self.symbols])
        self._form_cum = (self.prob * chars).cumsum(1)

    def sample(self, count: int, seed: int | None = None, chars: int | None = None) -> list[str]:
        """``count`` couplets: of the form ``chars`` characters a line when given, else
        free-running until the end symbol (at most ``max_chars``)."""
        rng = np.random.default_rng(seed)
        if chars is not None:
            return [self._sample_form(rng, chars) for _ in range(count)]
        eos = self.index[EOS]
        out = []
        for _ in range(count):
            cur, text = self.index[BOS], []
            for _ in range(self.max_chars):
                nxt = self._draw(rng, self.cum[cur])
                if nxt == eos:
                    break
                text.append(self.symbols[nxt])
                cur = nxt
            out.append("".join(text))
        return out

    def _draw(self, rng, cum: np.ndarray) -> int:
        return min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")),
                   len(self.symbols) - 1)

    def _sample_form(self, rng, chars: int) -> str:
        text = []
        cur = self.index[BOS]
        for i in range(2 * chars):
            if i == chars:
                text.append("，")
                cur = self.index.get("，", cur)
            cur = self._draw(rng, self._form_cum[cur])
            text.append(self.symbols[cur])
        return "".join(text) + "。"

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
