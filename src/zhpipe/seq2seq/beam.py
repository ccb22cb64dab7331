"""Beam search over any step-wise decoder, with or without an end-of-sequence id.

A decoder is two functions over NumPy arrays:

* ``init(src)``: the inputs (``(B, ...)`` ids) -> a dict of state arrays, each with leading
  dimension B. Arrays named ``static_*`` (what the decoder reads but never changes, such as
  the attention keys of the input) stay one row per input; the others get one row per beam
  (``B * beam``, row ``i`` belonging to input ``i // beam``) and follow their beams;
* ``step(prev, t, state)``: the previous output ids ``(N,)``, the position ``t`` and the state
  rows -> ``(log-probabilities (N, V), new state)``.

``mask(logp, t, prefix)`` (optional) sets the scores of ids not allowed at position ``t`` to
``-inf``, given the ids chosen so far (``(N, t)``); row ``i`` always belongs to input ``i // beam``.
The couplet decoder uses it for its length, fixed-character and repetition rules; a headline
decoder for nothing but the end id.

With ``eos`` given, a beam that writes it is finished: it keeps its score and writes only
``eos`` afterwards, the search stops when every beam of every input is finished or at
``max_len``, and finished beams are ranked by their score divided by ``length ** length_penalty``
(0: the plain sum of log-probabilities). Without ``eos`` every output has ``max_len`` ids.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

State = dict[str, np.ndarray]
Step = Callable[[np.ndarray, int, State], tuple[np.ndarray, State]]
Init = Callable[[np.ndarray], State]
Mask = Callable[[np.ndarray, int, np.ndarray], np.ndarray]


def beam_search(init: Init, step: Step, src: np.ndarray, *, bos: int, max_len: int,
                beam: int = 5, eos: int | None = None, min_len: int = 1,
                mask: Mask | None = None, length_penalty: float = 0.0
                ) -> tuple[list[np.ndarray], np.ndarray]:
    """The best output of each of the B inputs: (id arrays without ``eos``, their scores (B,)).

    ``min_len``: ``eos`` is not allowed before this many ids."""
    outs, scores = beam_candidates(init, step, src, bos=bos, max_len=max_len, beam=beam,
                                   eos=eos, min_len=min_len, mask=mask,
                                   length_penalty=length_penalty)
    return [o[0] for o in outs], scores[:, 0]


def beam_candidates(init: Init, step: Step, src: np.ndarray, *, bos: int, max_len: int,
                    beam: int = 5, eos: int | None = None, min_len: int = 1,
                    mask: Mask | None = None, length_penalty: float = 0.0
                    ) -> tuple[list[list[np.ndarray]], np.ndarray]:
    """Every finished beam of each input, best first: (per input, its ``beam`` id arrays;
    their log-probabilities (B, beam), ``-inf`` for a beam the mask left empty), for a caller
    that reranks them.

    The decoders' matrices are small (a few beams by a few hundred units): one BLAS thread
    does them fastest, and several threads on a busy machine spin against each other (a
    couplet took 82 ms instead of 24 beside a training run), so the search runs with one."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _search(init, step, src, bos=bos, max_len=max_len, beam=beam, eos=eos,
                       min_len=min_len, mask=mask, length_penalty=length_penalty)


def _search(init: Init, step: Step, src: np.ndarray, *, bos: int, max_len: int, beam: int,
            eos: int | None, min_len: int, mask: Mask | None, length_penalty: float
            ) -> tuple[list[list[np.ndarray]], np.ndarray]:
    if beam < 1:
        raise ValueError(f"beam width must be at least 1, got {beam}")
    b, k = src.shape[0], beam
    state = {name: a if name.startswith("static_") else np.repeat(a, k, axis=0)
             for name, a in init(src).items()}
    scores = np.full((b, k), -np.inf)
    scores[:, 0] = 0.0  # all beams start equal: expand only the first one
    ids = np.zeros((b * k, 0), np.int64)
    prev = np.full(b * k, bos, np.int64)
    done = np.zeros(b * k, bool)
    lengths = np.zeros(b * k, np.int64)  # ids written before eos
    for t in range(max_len):
        logp, state = step(prev, t, state)
        if mask is not None:
            logp = mask(logp, t, ids)
        if eos is not None:
            if t < min_len:
                logp[:, eos] = -np.inf
            if done.any():  # a finished beam continues with eos at no cost, and nothing else
                logp[done] = -np.inf
                logp[done, eos] = 0.0
        v = logp.shape[1]
        cand = (scores[:, :, None] + logp.reshape(b, k, v)).reshape(b, k * v)
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k] if k < k * v else \
            np.tile(np.arange(k * v), (b, 1))
        top_scores = np.take_along_axis(cand, top, 1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, 1)
        scores = np.take_along_axis(top_scores, order, 1)
        src_rows = (np.arange(b)[:, None] * k + top // v).reshape(-1)  # rows the beams extend
        prev = (top % v).reshape(-1)
        ids = np.concatenate([ids[src_rows], prev[:, None]], axis=1)
        state = {name: a if name.startswith("static_") else a[src_rows]
                 for name, a in state.items()}
        if eos is not None:
            was_done = done[src_rows]
            lengths = lengths[src_rows] + (~was_done & (prev != eos))
            done = was_done | (prev == eos)
            if done.all():
                break
    if eos is None:
        lengths = np.full(b * k, ids.shape[1])
    ranked = scores.reshape(-1) / np.maximum(lengths, 1) ** length_penalty
    ranked = np.where(np.isfinite(scores.reshape(-1)), ranked, -np.inf).reshape(b, k)
    order = np.argsort(-ranked, axis=1, kind="stable")
    rows = np.arange(b)[:, None] * k + order
    return ([[ids[r, :lengths[r]] for r in row] for row in rows],
            np.take_along_axis(scores, order, 1))


def no_repeat_ngram(n: int) -> Mask:
    """A mask that forbids any id completing an ``n``-gram the prefix already holds (the
    ``no_repeat_ngram_size`` of the common generation libraries): stops a decoder looping over
    a phrase (乡村乡村乡村...). Vectorised over the rows."""
    if n < 2:
        raise ValueError(f"no_repeat_ngram needs n >= 2, got {n}")

    def mask(logp: np.ndarray, t: int, prefix: np.ndarray) -> np.ndarray:
        if prefix.shape[1] < n - 1:
            return logp
        tail = prefix[:, prefix.shape[1] - (n - 1):]  # the last n-1 ids of each row
        width = prefix.shape[1] - (n - 1)  # start positions of earlier (n-1)-grams
        if width <= 0:
            return logp
        same = np.ones((prefix.shape[0], width), bool)
        for j in range(n - 1):
            same &= prefix[:, j:j + width] == tail[:, j:j + 1]
        rows, starts = np.nonzero(same)
        logp[rows, prefix[rows, starts + n - 1]] = -np.inf
        return logp

    return mask


def chain(*masks: Mask | None) -> Mask | None:
    """The masks applied one after the other (None entries skipped)."""
    todo = [m for m in masks if m is not None]
    if not todo:
        return None

    def mask(logp: np.ndarray, t: int, prefix: np.ndarray) -> np.ndarray:
        for m in todo:
            logp = m(logp, t, prefix)
        return logp

    return mask
