"""Cloze items as model inputs (NumPy only): word ids, the six per-token features (in the
query, passage frequency, four context matches with the blank), candidate and answer masks,
padded batches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zhpipe.cloze.data import BLANK, ClozeItem
from zhpipe.cloze.vocab import BLANK_ID, FIRST_OOV, WordVocab

N_FEATURES = 6


@dataclass
class Encoded:
    doc: np.ndarray  # (D,) ids
    query: np.ndarray  # (Q,) ids
    q_blank: int
    d_blank: int  # -1 when the passage holds no blank
    features: np.ndarray  # (D, 6) float: in the query; log(1 + count in the passage) / 3;
    # context matches with the blank: 1 and 2 words before, 1 and 2 words after
    tokens: list[str]  # the passage words (for the attention sum), truncated like doc
    candidates: np.ndarray  # (D,) bool: positions that may hold the answer


def encode(item: ClozeItem, vocab: WordVocab, max_doc: int) -> Encoded:
    tokens = item.tokens[:max_doc]
    oov: dict[str, int] = {}

    def wid(w: str) -> int:
        if w == BLANK:
            return BLANK_ID
        i = vocab.index.get(w)
        if i is None:
            i = oov.setdefault(w, FIRST_OOV + len(oov) % vocab.oov_slots)
        return i

    doc = np.array([wid(w) for w in tokens], np.int32)
    query = np.array([wid(w) for w in item.query], np.int32)
    qset = set(item.query)
    counts = Counter(tokens)
    feats = np.array([[w in qset and w != BLANK, np.log1p(counts[w]) / 3] for w in tokens],
                     np.float32).reshape(len(tokens), 2)
    b = item.query.index(BLANK)
    feats = np.concatenate([feats, context_matches(tokens, item.query, b)], axis=1)
    return Encoded(doc, query, b,
                   tokens.index(BLANK) if BLANK in tokens else -1, feats, tokens,
                   candidate_mask(tokens, vocab.exclude))


def context_matches(tokens: Sequence[str], query: Sequence[str], blank: int) -> np.ndarray:
    """(len(tokens), 4) flags: does the word 1 (and 2) before / after each passage position equal
    the word(s) 1 (and 2) before / after the blank of the query? Positions holding the blank get
    zeros (the blanked sentence is in the passage too and would match itself)."""
    out = np.zeros((len(tokens), 4), np.float32)
    n = len(tokens)
    before = [query[blank - k] if blank - k >= 0 else None for k in (1, 2)]
    after = [query[blank + k] if blank + k < len(query) else None for k in (1, 2)]
    for i, w in enumerate(tokens):
        if w == BLANK:
            continue
        if before[0] is not None and i >= 1 and tokens[i - 1] == before[0]:
            out[i, 0] = 1
            if before[1] is not None and i >= 2 and tokens[i - 2] == before[1]:
                out[i, 1] = 1
        if after[0] is not None and i + 1 < n and tokens[i + 1] == after[0]:
            out[i, 2] = 1
            if after[1] is not None and i + 2 < n and tokens[i + 2] == after[1]:
                out[i, 3] = 1
    return out


def candidate_mask(tokens: Sequence[str], exclude: frozenset[str] = frozenset()
                   ) -> np.ndarray:
    """Positions that may hold the answer: words of Chinese characters, letters or digits, but
    not the blank and not the excluded (never-answer) words."""
    from zhpipe.corpus.text import is_han

    return np.array([w != BLANK and w not in exclude
                     and any(is_han(c) or c.isalnum() for c in w) for w in tokens], bool)


def _pad(rows: Sequence[np.ndarray], width: int, dtype) -> np.ndarray:
    out = np.zeros((len(rows), width), dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _pad3(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
    out = np.zeros((len(rows), width, N_FEATURES), np.float32)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def batch_inputs(encs: Sequence[Encoded], round_to: int = 32) -> dict:
    d = max(len(e.doc) for e in encs)
    q = max(len(e.query) for e in encs)
    d, q = -(-d // round_to) * round_to, -(-q // 8) * 8  # few distinct shapes: few traces
    cand = _pad([e.candidates for e in encs], d, np.float32)
    return {"doc": _pad([e.doc for e in encs], d, np.int32),
            "query": _pad([e.query for e in encs], q, np.int32),
            "features": _pad3([e.features for e in encs], d),
            "q_blank": np.array([[e.q_blank] for e in encs], np.int32),
            "d_blank": np.array([[max(e.d_blank, 0)] for e in encs], np.int32),
            "has_d_blank": np.array([[float(e.d_blank >= 0)] for e in encs], np.float32),
            "candidates": cand}




def answer_mask(enc: Encoded, answer: str | None, width: int) -> np.ndarray:
    m = np.zeros(width, np.float32)
    if answer is not None:
        for i, w in enumerate(enc.tokens):
            if w == answer:
                m[i] = 1.0
    return m


