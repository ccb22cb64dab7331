"""Pure scoring functions of unsupervised word discovery (vectorised over NumPy arrays).

All logarithms are natural (nats) unless a function says otherwise.
"""

from __future__ import annotations

import numpy as np


def pmi(count_w, count_left, count_right, total) -> np.ndarray:
    """Pointwise mutual information of an n-gram split into a left and a right part.

    Parameters
    ----------
    count_w, count_left, count_right : array_like
        Counts c(w), c(left), c(right) of the n-gram and of the two parts.
    total : float
        N, the number of characters (unigram tokens) in the corpus.

    Returns
    -------
    ndarray
        ``log(N * c(w) / (c(left) * c(right)))``.

    Notes
    -----
    With p(x) = c(x) / N for every string, this is log p(w) / (p(left) p(right)): how much more
    often the parts occur together than if they were independent. (Using one N for every order
    is the usual approximation; the number of n-grams of order k is N minus a small correction.)
    """
    cw = np.asarray(count_w, dtype=np.float64)
    cl = np.asarray(count_left, dtype=np.float64)
    cr = np.asarray(count_right, dtype=np.float64)
    return np.log(total) + np.log(cw) - np.log(cl) - np.log(cr)


def cohesion(count_w, part_counts: list[tuple], total) -> np.ndarray:
    """Cohesion of n-grams: the minimum PMI over their split points.

    Parameters
    ----------
    count_w : array_like, shape (m,)
        c(w) for m n-grams of one order n.
    part_counts : list of (left_counts, right_counts), length n - 1
        For split point s = 1..n-1, the counts of w[:s] and w[s:], each shape (m,).
    total : float
        N, the number of characters.

    Returns
    -------
    ndarray, shape (m,)
        ``min_s log(N c(w) / (c(w[:s]) c(w[s:])))``. A word is only as cohesive as its weakest
        split: 的中 in 的中国 is rare relative to 的 and 中国, so 的中国 is cut there.
    """
    scores = [pmi(count_w, left, right, total) for left, right in part_counts]
    return np.min(np.vstack(scores), axis=0)


def entropy(counts, segment_ids, n_segments: int) -> np.ndarray:
    """Entropy of each group's distribution: ``H = -sum_i p_i log p_i`` with p_i = c_i / sum c.

    Parameters
    ----------
    counts : array_like, shape (k,)
        Counts of the neighbours (e.g. the characters seen right of a word), all groups together.
    segment_ids : array_like of int, shape (k,)
        The group (word) each count belongs to, in 0..n_segments-1.
    n_segments : int
        Number of groups.

    Returns
    -------
    ndarray, shape (n_segments,)
        The boundary entropy of each group (0 for a group with one neighbour or none).
    """
    c = np.asarray(counts, dtype=np.float64)
    g = np.asarray(segment_ids, dtype=np.int64)
    totals = np.bincount(g, weights=c, minlength=n_segments)
    p = c / totals[g]
    return -np.bincount(g, weights=p * np.log(p), minlength=n_segments) + 0.0


def code_length(counts) -> float:
    """Total code length in nats of a corpus under a unigram model fitted to it.

    Notes
    -----
    With counts c_w and N = sum c_w, each token w costs -log(c_w / N), so the corpus costs
    ``L = -sum_w c_w log(c_w / N) = N log N - sum_w c_w log c_w``.
    """
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    n = c.sum()
    return float(n * np.log(n) - (c * np.log(c)).sum()) if n else 0.0


def removal_gain(n_tokens: float, c_word: float, parts: dict[int, int], part_counts: dict[int, float],
                 ) -> float:
    """Change of the corpus code length when word w is removed from the lexicon.

    Parameters
    ----------
    n_tokens : float
        N, the number of tokens (words) of the segmented corpus.
    c_word : float
        c(w), the count of the word.
    parts : dict
        How w is written without itself: part id -> multiplicity (e.g. 中华人民 -> 中华, 人民).
    part_counts : dict
        Current counts c(u) of those parts.

    Returns
    -------
    float
        ``L' - L`` in nats, where L is the unigram code length (see :func:`code_length`) and L'
        the code length after w's occurrences are rewritten as its parts: each part u gains
        m_u c(w) counts, and N grows by (sum_u m_u - 1) c(w). Removing w is justified (the
        minimum-entropy criterion) when this is <= 0: the corpus is described at least as
        cheaply by the parts.

    Notes
    -----
    Only the terms that change enter:
    ``L' - L = N' log N' - N log N + c_w log c_w - sum_u [c'_u log c'_u - c_u log c_u]``
    with c'_u = c_u + m_u c_w and N' = N + (sum m_u - 1) c_w.
    """
    def xlogx(x: float) -> float:
        return x * np.log(x) if x > 0 else 0.0

    m_total = sum(parts.values())
    n_new = n_tokens + (m_total - 1) * c_word
    delta = xlogx(n_new) - xlogx(n_tokens) + xlogx(c_word)
    for u, m in parts.items():
        c = part_counts[u]
        delta -= xlogx(c + m * c_word) - xlogx(c)
    return float(delta)
