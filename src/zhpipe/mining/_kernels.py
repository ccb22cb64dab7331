"""Compiled inner loops (numba), with the same results as the NumPy code they replace.

``viterbi_starts(scores)``: ``scores[k - 1, i]`` is log p of the word of length k ending at
position i (``-inf`` when there is none, and for every span that crosses a cut); a cut position
has ``scores[0, i] = nan``. Returns a boolean array marking where the best segmentation of each
run between cuts starts a word. Ties go to the shortest word, as in the NumPy version.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # the NumPy version in segmenter.py is used instead
    njit = None

if njit is not None:

    @njit(cache=True, nogil=True)
    def viterbi_starts(scores):  # pragma: no cover - compiled
        kmax, n = scores.shape
        best = np.zeros(n + 1)
        back = np.ones(n, dtype=np.int64)
        starts = np.zeros(n, dtype=np.bool_)
        run_start = 0
        for i in range(n):
            if np.isnan(scores[0, i]):  # a cut: the next run starts after it
                run_start = i + 1
                best[i + 1] = 0.0
                continue
            b = -np.inf
            arg = 1
            for k in range(1, min(kmax, i - run_start + 1) + 1):
                s = scores[k - 1, i]
                if s == -np.inf:
                    continue
                prev = best[i - k + 1] if i - k + 1 > run_start else 0.0
                if prev + s > b:
                    b = prev + s
                    arg = k
            best[i + 1] = b
            back[i] = arg
            # a run ends at i when the next position is a cut or the end
            if i + 1 == n or np.isnan(scores[0, i + 1]):
                j = i
                while j >= run_start:
                    s0 = j - back[j] + 1
                    starts[s0] = True
                    j = s0 - 1
        return starts

else:
    viterbi_starts = None


def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + np.log1p(np.exp(b - a))
    return b + np.log1p(np.exp(a - b))


if njit is not None:
    _logaddexp = njit(cache=True, inline="always")(_logaddexp)

    @njit(cache=True, nogil=True)
    def span_posteriors(scores):  # pragma: no cover - compiled
        """Forward-backward over each run between cuts: ``post[k - 1, i]`` is the posterior
        probability that a word of length k ends at position i (same ``scores`` layout as
        :func:`viterbi_starts`)."""
        kmax, n = scores.shape
        alpha = np.full(n + 1, -np.inf)
        beta = np.full(n + 1, -np.inf)
        post = np.zeros((kmax, n))
        a = 0
        while a < n:
            if np.isnan(scores[0, a]):
                a += 1
                continue
            b = a
            while b < n and not np.isnan(scores[0, b]):
                b += 1
            alpha[a] = 0.0
            for i in range(a, b):
                acc = -np.inf
                for k in range(1, min(kmax, i - a + 1) + 1):
                    s = scores[k - 1, i]
                    if s != -np.inf:
                        acc = _logaddexp(acc, alpha[i - k + 1] + s)
                alpha[i + 1] = acc
            beta[b] = 0.0
            for j in range(b - 1, a - 1, -1):
                acc = -np.inf
                for k in range(1, min(kmax, b - j) + 1):
                    s = scores[k - 1, j + k - 1]
                    if s != -np.inf:
                        acc = _logaddexp(acc, s + beta[j + k])
                beta[j] = acc
            z = alpha[b]
            for i in range(a, b):
                for k in range(1, min(kmax, i - a + 1) + 1):
                    s = scores[k - 1, i]
                    if s != -np.inf:
                        post[k - 1, i] = np.exp(alpha[i - k + 1] + s + beta[i + 1] - z)
            a = b
        return post

else:
    span_posteriors = None
