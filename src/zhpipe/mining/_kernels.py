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


# ----------------------------------------------------------------------------------------------
# Lexicon look-ups in compiled code: one open-addressing hash table of (key, length) -> word
# index, with the keys of :class:`zhpipe.mining.segmenter.Keyer` (symbols packed into 64 bits
# when they fit, else a multiplicative hash), and the unigram Viterbi fused with the look-ups.

_MUL = np.uint64(0x9E3779B97F4A7C15)


def _slot(key, k, shift):
    return ((key + np.uint64(k)) * _MUL) >> shift


def _window_key(dense, start, k, bits, packed):
    key = np.uint64(0)
    if packed:
        for j in range(start, start + k):
            key = (key << bits) | np.uint64(dense[j])
    else:
        for j in range(start, start + k):
            key = (key ^ np.uint64(dense[j])) * _MUL
    return key


if njit is not None:
    _slot = njit(cache=True, inline="always")(_slot)
    _window_key = njit(cache=True, inline="always")(_window_key)

    @njit(cache=True, nogil=True)
    def build_table(keys, lengths, log_size):  # pragma: no cover - compiled
        """The hash table of word keys (``keys[i]`` of a word of ``lengths[i]`` symbols), one
        row of two words per slot so that a probe reads one cache line: ``[key, length << 40 |
        word index]``, 0 in the second column where empty. A word whose (key, length) is already
        in the table keeps the first index."""
        size = 1 << log_size
        shift = np.uint64(64 - log_size)
        table = np.zeros((size, 2), np.uint64)
        mask = np.uint64(size - 1)
        for i in range(len(keys)):
            s = _slot(keys[i], lengths[i], shift)
            tag = np.uint64(lengths[i]) << np.uint64(40)
            while table[s, 1] != 0 and not (table[s, 0] == keys[i]
                                            and (table[s, 1] >> np.uint64(40)) == lengths[i]):
                s = (s + np.uint64(1)) & mask
            if table[s, 1] == 0:
                table[s, 0] = keys[i]
                table[s, 1] = tag | np.uint64(i)
        return table

    @njit(cache=True, nogil=True)
    def viterbi_words(dense, max_len, bits, packed_upto, table, word_logp,
                      char_logp):  # pragma: no cover - compiled
        """The unigram Viterbi of :func:`viterbi_starts` with the word look-ups inside: for
        every position, each window of 2..max_len symbols ending there (within its run) is
        looked up in the hash table. Returns ``(starts, word)``: where a word starts, and the
        index of the multi-character word starting there (-1: a single character)."""
        n = len(dense)
        size = table.shape[0]
        log_size = 0
        while (1 << log_size) < size:
            log_size += 1
        shift = np.uint64(64 - log_size)
        mask = np.uint64(size - 1)
        low = np.uint64((1 << 40) - 1)
        bits_u = np.uint64(bits)
        best = np.zeros(n + 1)
        back = np.ones(n, dtype=np.int64)
        wid = np.full(n, -1, dtype=np.int64)
        starts = np.zeros(n, dtype=np.bool_)
        word = np.full(n, -1, dtype=np.int64)
        run_start = 0
        for i in range(n):
            if dense[i] == 0:
                run_start = i + 1
                best[i + 1] = 0.0
                continue
            b = best[i] + char_logp[dense[i]]
            arg = 1
            w = -1
            for k in range(2, min(max_len, i - run_start + 1) + 1):
                key = _window_key(dense, i - k + 1, k, bits_u, k <= packed_upto)
                tag = np.uint64(k) << np.uint64(40)
                s = _slot(key, k, shift)
                while table[s, 1] != 0:
                    if table[s, 0] == key and (table[s, 1] & ~low) == tag:
                        j = np.int64(table[s, 1] & low)
                        cand = best[i - k + 1] + word_logp[j]
                        if cand > b:
                            b = cand
                            arg = k
                            w = j
                        break
                    s = (s + np.uint64(1)) & mask
            best[i + 1] = b
            back[i] = arg
            wid[i] = w
            if i + 1 == n or dense[i + 1] == 0:
                j = i
                while j >= run_start:
                    s0 = j - back[j] + 1
                    starts[s0] = True
                    word[s0] = wid[j]
                    j = s0 - 1
        return starts, word

else:
    build_table = viterbi_words = None
