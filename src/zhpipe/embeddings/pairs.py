"""Vectorised training examples for skip-gram and CBOW (NumPy, one epoch at a time).

Per epoch, as the word2vec C tool and gensim do it:

1. frequent-word subsampling: each token is kept with probability
   :func:`zhpipe.embeddings.vocab.keep_probability` (the surviving tokens are the *effective
   words* that words/s counts);
2. dynamic window: each centre token draws its window b uniformly from 1..window;
3. skip-gram: one (centre, context) pair for every token within b of the centre in the same
   sentence; CBOW: one example per centre, its contexts padded to 2 * window with -1.

No Python loop runs over tokens: each offset d = 1..window is one vectorised comparison.
"""

from __future__ import annotations

import numpy as np

from zhpipe.embeddings.vocab import keep_probability


def subsample(ids: np.ndarray, offsets: np.ndarray, counts: np.ndarray, sample: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Drop frequent tokens at random; return kept ids and their sentence ids."""
    sent = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    keep = rng.random(len(ids)) < keep_probability(counts, sample)[ids]
    return ids[keep], sent[keep]


def skipgram_pairs(ids: np.ndarray, sent: np.ndarray, window: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) id pairs with dynamic windows, shuffled."""
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)
    centres, contexts = [], []
    for d in range(1, window + 1):
        if d >= n:
            break
        same = sent[d:] == sent[:-d]
        right = same & (b[:-d] >= d)  # centre i, context i + d
        left = same & (b[d:] >= d)  # centre i + d, context i
        idx = np.flatnonzero(right)
        centres.append(ids[idx])
        contexts.append(ids[idx + d])
        idx = np.flatnonzero(left)
        centres.append(ids[idx + d])
        contexts.append(ids[idx])
    if not centres:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    c, x = np.concatenate(centres), np.concatenate(contexts)
    order = rng.permutation(len(c))
    return c[order], x[order]


def cbow_examples(ids: np.ndarray, sent: np.ndarray, window: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(contexts (m, 2 * window) padded with -1, centre (m,)), for centres with a context."""
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)
    ctx = np.full((n, 2 * window), -1, dtype=np.int32)
    for d in range(1, window + 1):
        if d >= n:
            break
        same = sent[d:] == sent[:-d]
        ok = same & (b[:-d] >= d)  # centre i sees i + d
        ctx[:-d, window + d - 1] = np.where(ok, ids[d:], -1)
        ok = same & (b[d:] >= d)  # centre i + d sees i
        ctx[d:, window - d] = np.where(ok, ids[:-d], -1)
    has = (ctx >= 0).any(axis=1)
    ctx, centre = ctx[has], ids[has]
    order = rng.permutation(len(centre))
    return ctx[order], centre[order]


def negatives(n: int, k: int, cdf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(n, k)`` ids drawn from the noise distribution given as its cumulative sum."""
    return np.searchsorted(cdf, rng.random((n, k)) * cdf[-1], side="right").astype(np.int32)
