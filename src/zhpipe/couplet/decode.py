"""Constrained greedy and beam-search decoding, independent of the model.

A model is two functions over NumPy arrays:

* ``init(upper_ids)``: ``(B, T)`` ids -> a dict of state arrays, each with leading dimension B;
* ``step(prev, t, state)``: the previous output ids ``(N,)``, the position ``t`` and the state
  rows -> ``(log-probabilities (N, V), new state)``.

All inputs of one call have the same length T (callers group them by length). At each position
the constraints of :mod:`zhpipe.couplet.data` decide which ids are allowed; the scores of the
others become ``-inf``, so every output has the input's length, its fixed characters and its
repetition pattern whatever the model prefers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zhpipe.couplet.data import BOS

State = dict[str, np.ndarray]
Step = Callable[[np.ndarray, int, State], tuple[np.ndarray, State]]
Init = Callable[[np.ndarray], State]


def _mask(logp: np.ndarray, t: int, forced: np.ndarray, same_as: np.ndarray,
          prefix: np.ndarray, free_ok: np.ndarray, distinct: bool,
          banned: np.ndarray | None) -> np.ndarray:
    """Scores of disallowed ids set to -inf. ``logp`` (N, V); ``forced``/``same_as`` (N, T);
    ``prefix`` (N, t) the ids chosen so far; ``banned`` (N, T) ids never to write at a free
    position (the upper line's own characters), or None."""
    n, v = logp.shape
    out = np.where(free_ok[None, :], logp, -np.inf)
    if distinct and t:
        np.put_along_axis(out, prefix, -np.inf, axis=1)
    if banned is not None:
        np.put_along_axis(out, banned, -np.inf, axis=1)
    rows = np.arange(n)
    f = forced[:, t]
    pinned = np.where(f >= 0, f, -1)
    s = same_as[:, t]
    if t:
        pinned = np.where(s >= 0, prefix[rows, np.clip(s, 0, t - 1)], pinned)
    sel = pinned >= 0
    if sel.any():
        keep = logp[rows[sel], pinned[sel]]
        out[sel] = -np.inf
        out[rows[sel], pinned[sel]] = keep
    return out


def greedy(init: Init, step: Step, upper_ids: np.ndarray, forced: np.ndarray,
           same_as: np.ndarray, free_ok: np.ndarray, distinct: bool = True,
           no_copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Best id at every position in turn; returns (ids (B, T), total log-probabilities (B,))."""
    b, t_len = upper_ids.shape
    state = init(upper_ids)
    ids = np.zeros((b, t_len), np.int64)
    total = np.zeros(b)
    prev = np.full(b, BOS, np.int64)
    banned = upper_ids.astype(np.int64) if no_copy else None
    for t in range(t_len):
        logp, state = step(prev, t, state)
        masked = _mask(logp, t, forced, same_as, ids[:, :t], free_ok, distinct, banned)
        prev = masked.argmax(1)
        ids[:, t] = prev
        total += masked[np.arange(b), prev]
    return ids, total


def beam_search(init: Init, step: Step, upper_ids: np.ndarray, forced: np.ndarray,
                same_as: np.ndarray, free_ok: np.ndarray, beam: int = 5, distinct: bool = True,
                no_copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Beam search over B inputs at once; returns the best (ids (B, T), log-probabilities (B,))."""
    if beam < 1:
        raise ValueError(f"beam width must be at least 1, got {beam}")
    b, t_len = upper_ids.shape
    k = beam
    state = {name: np.repeat(a, k, axis=0) for name, a in init(upper_ids).items()}
    forced_r, same_r = np.repeat(forced, k, axis=0), np.repeat(same_as, k, axis=0)
    banned = np.repeat(upper_ids.astype(np.int64), k, axis=0) if no_copy else None
    scores = np.full((b, k), -np.inf)
    scores[:, 0] = 0.0  # all beams start equal: expand only the first one
    ids = np.zeros((b * k, 0), np.int64)
    prev = np.full(b * k, BOS, np.int64)
    for t in range(t_len):
        logp, state = step(prev, t, state)
        masked = _mask(logp, t, forced_r, same_r, ids, free_ok, distinct, banned)
        v = masked.shape[1]
        cand = (scores[:, :, None] + masked.reshape(b, k, v)).reshape(b, k * v)
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k] if k < k * v else \
            np.tile(np.arange(k * v), (b, 1))
        top_scores = np.take_along_axis(cand, top, 1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, 1)
        scores = np.take_along_axis(top_scores, order, 1)
        src = (np.arange(b)[:, None] * k + top // v).reshape(-1)  # rows the new beams extend
        prev = (top % v).reshape(-1)
        ids = np.concatenate([ids[src], prev[:, None]], axis=1)
        state = {name: a[src] for name, a in state.items()}
    best = scores.argmax(1)
    rows = np.arange(b) * k + best
    return ids[rows], scores[np.arange(b), best]
