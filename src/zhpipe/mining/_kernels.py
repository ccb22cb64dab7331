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
