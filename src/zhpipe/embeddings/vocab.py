"""Vocabulary and integer-encoded corpus for word2vec training."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from zhpipe.errors import UserError


class EmbeddingError(UserError, ValueError):
    """The corpus cannot train vectors (empty, or nothing reaches min_count)."""


@dataclass
class Vocab:
    words: list[str]
    counts: np.ndarray  # int64, most frequent first

    @classmethod
    def build(cls, sentences: Iterable[list[str]], min_count: int,
              max_size: int | None = None) -> Vocab:
        c: Counter = Counter()
        n_tokens = 0
        for s in sentences:
            c.update(s)
            n_tokens += len(s)
        if n_tokens == 0:
            raise EmbeddingError("the corpus holds no tokens to train on")
        kept = sorted(((w, n) for w, n in c.items() if n >= min_count), key=lambda x: (-x[1], x[0]))
        if max_size:
            kept = kept[:max_size]
        if len(kept) < 2:
            raise EmbeddingError(f"only {len(kept)} word(s) occur at least min_count={min_count} "
                                 f"times in {n_tokens} tokens; lower min_count or add text")
        return cls([w for w, _ in kept], np.array([n for _, n in kept], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def encode(self, sentences: Iterable[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of the in-vocabulary words (others dropped, as gensim does) and the
        sentence start offsets (len = sentences + 1)."""
        idx = self.index
        ids: list[int] = []
        offsets = [0]
        for s in sentences:
            ids.extend(i for i in map(idx.get, s) if i is not None)
            offsets.append(len(ids))
        return np.array(ids, dtype=np.int32), np.array(offsets, dtype=np.int64)


def keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word in frequent-word subsampling.

    Notes
    -----
    The word2vec C tool / gensim formula: with f = c / total and threshold t = ``sample``,
    ``p_keep = (sqrt(f / t) + 1) * t / f``, capped at 1. ``sample = 0`` keeps everything.
    """
    if sample <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum((np.sqrt(f / sample) + 1) * sample / f, 1.0)


def negative_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Noise distribution of negative sampling: ``P(w) = c(w)^power / sum c^power``."""
    p = counts.astype(np.float64) ** power
    return p / p.sum()
