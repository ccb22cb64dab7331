"""Tagging schemes' hard constraints for the CRF layer (:class:`zhpipe.layers.CRF`) and
Viterbi decoding in NumPy for small CPU jobs."""

from __future__ import annotations

import numpy as np


def bmes_constraints(tags: list[str]) -> dict:
    """Forbidden transitions, starts and ends for BMES segmentation tags."""
    ok_next = {"B": "ME", "M": "ME", "E": "BS", "S": "BS"}
    idx = {t: i for i, t in enumerate(tags)}
    trans = [(idx[a], idx[b]) for a in tags for b in tags if b not in ok_next[a]]
    return {"transitions": trans, "start": [idx[t] for t in tags if t in "ME"],
            "end": [idx[t] for t in tags if t in "BM"]}


def bio_constraints(tags: list[str]) -> dict:
    """Forbidden transitions and starts for BIO tags (``O``, ``B-X``, ``I-X``): I-X only after
    B-X or I-X; no sequence starts with I-X."""
    idx = {t: i for i, t in enumerate(tags)}
    trans = []
    for b in tags:
        if b.startswith("I-"):
            typ = b[2:]
            trans += [(idx[a], idx[b]) for a in tags if a not in (f"B-{typ}", f"I-{typ}")]
    return {"transitions": trans, "start": [idx[t] for t in tags if t.startswith("I-")],
            "end": []}


def viterbi_numpy(x: np.ndarray, lengths: np.ndarray, trans: np.ndarray, start: np.ndarray,
                  end: np.ndarray) -> list[np.ndarray]:
    """Viterbi in NumPy over a batch: x (B, T, K), lengths (B,); returns tag arrays."""
    b, t_len, k = x.shape
    score = start[None, :] + x[:, 0]
    back = np.zeros((b, max(t_len - 1, 0), k), dtype=np.int32)
    for t in range(1, t_len):
        cand = score[:, :, None] + trans[None]
        best = cand.argmax(axis=1)
        new = cand.max(axis=1) + x[:, t]
        live = (t < lengths)[:, None]
        score = np.where(live, new, score)
        back[:, t - 1] = np.where(live, best, np.arange(k)[None, :])
    last = (score + end[None, :]).argmax(axis=1)
    # backtrack the whole batch at once; padded steps point every tag to itself
    tags = np.zeros((b, t_len), dtype=np.int32)
    tag = last
    rows = np.arange(b)
    for t in range(t_len - 1, -1, -1):
        tags[:, t] = tag
        if t:
            tag = back[rows, t - 1, tag]
    return [tags[i, : int(lengths[i])] for i in range(b)]
