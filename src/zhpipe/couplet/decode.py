"""Constrained greedy and beam-search decoding of couplets, independent of the model: the
couplet rules as a mask on the shared beam search (:mod:`zhpipe.seq2seq.beam`).

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

import numpy as np

from zhpipe.couplet.data import BOS
from zhpipe.seq2seq.beam import Init, Step, beam_candidates


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


def _constraints(upper_ids: np.ndarray, forced: np.ndarray, same_as: np.ndarray,
                 free_ok: np.ndarray, k: int, distinct: bool, no_copy: bool):
    """The couplet rules as a :func:`zhpipe.seq2seq.beam.beam_search` mask, rows repeated
    ``k`` times (a row's input is row // k)."""
    forced_r, same_r = np.repeat(forced, k, axis=0), np.repeat(same_as, k, axis=0)
    banned = np.repeat(upper_ids.astype(np.int64), k, axis=0) if no_copy else None

    def mask(logp: np.ndarray, t: int, prefix: np.ndarray) -> np.ndarray:
        return _mask(logp, t, forced_r, same_r, prefix, free_ok, distinct, banned)

    return mask


def greedy(init: Init, step: Step, upper_ids: np.ndarray, forced: np.ndarray,
           same_as: np.ndarray, free_ok: np.ndarray, distinct: bool = True,
           no_copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Best id at every position in turn (beam search of width 1); returns (ids (B, T), total
    log-probabilities (B,))."""
    return beam_search(init, step, upper_ids, forced, same_as, free_ok, beam=1,
                       distinct=distinct, no_copy=no_copy)


def beam_search(init: Init, step: Step, upper_ids: np.ndarray, forced: np.ndarray,
                same_as: np.ndarray, free_ok: np.ndarray, beam: int = 5, distinct: bool = True,
                no_copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Beam search over B inputs at once, one output id per input id, under the couplet rules
    (the shared :func:`zhpipe.seq2seq.beam.beam_search`); returns the best (ids (B, T),
    log-probabilities (B,))."""
    ids, scores = candidates(init, step, upper_ids, forced, same_as, free_ok, beam, distinct,
                             no_copy)
    return ids[:, 0], scores[:, 0]


def candidates(init: Init, step: Step, upper_ids: np.ndarray, forced: np.ndarray,
               same_as: np.ndarray, free_ok: np.ndarray, beam: int = 5, distinct: bool = True,
               no_copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every beam under the couplet rules, best first: ids (B, beam, T) and log-probabilities
    (B, beam) (``-inf`` where the rules left fewer than ``beam`` lines)."""
    mask = _constraints(upper_ids, forced, same_as, free_ok, beam, distinct, no_copy)
    outs, scores = beam_candidates(init, step, upper_ids, bos=BOS, max_len=upper_ids.shape[1],
                                   beam=beam, mask=mask)
    return np.array([[np.asarray(o) for o in row] for row in outs]).reshape(
        upper_ids.shape[0], beam, -1), scores
