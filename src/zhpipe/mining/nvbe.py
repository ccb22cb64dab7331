"""Boundary statistics: normalised variation of branching entropy (nVBE) and the autonomy of a
string, after Magistry & Sagot (2012), "Unsupervised word segmentation: the case for Mandarin
Chinese" (ACL), used here to refine the minimum-entropy lexicon.

For an n-gram x = c_1..c_n seen in the corpus:

* **branching entropy**: ``h_r(x)`` is the entropy of the character that follows x, ``h_l(x)`` of
  the one before it (from the n+1-gram counts). An occurrence of x next to a cut (punctuation,
  line end) counts as a neighbour of its own, never seen before: the corpus does not say what
  comes next, so it adds ``(r / c) log c`` for r such occurrences out of c.
* **variation**: ``dh_r(x) = h_r(c_1..c_n) - h_r(c_1..c_{n-1})`` and ``dh_l(x) = h_l(c_1..c_n) -
  h_l(c_2..c_n)``: entropy rises at the end of a word (anything can follow a word) and falls
  inside one. For n = 1 the shorter string is empty; the constant cancels in the normalisation.
* **normalised**: each variation is standardised over the n-grams of the same length (mean 0,
  unit deviation; Magistry & Sagot subtract the mean: the deviation makes lengths comparable
  too and scored better on the 1998 dev split), so that lengths compete fairly.
* **autonomy**: ``a(x) = ndh_l(x) + ndh_r(x)``.

Magistry & Sagot segment by maximising ``sum a(w) |w|`` over the words of a sentence. Here the
autonomy is a bonus beside the lexicon's unigram log-probability (:func:`refine`): the segmenter
may use any n-gram seen ``min_count`` times, scored ``log p(w) + weight * a(w) |w|`` where p
comes from the lexicon's counts (an n-gram outside the lexicon counts a share of its n-gram count,
at least ``floor``: frequent function-word pairs such as 为了 or 有的 have a low PMI and never
become minimum-entropy candidates); its Viterbi counts over the corpus are the new lexicon,
re-estimated for a few rounds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from zhpipe.mining.ngrams import Table, encode, units_ok
from zhpipe.mining.segmenter import UnigramSegmenter

log = logging.getLogger(__name__)

Shards = Callable[[], Iterable[list[str]]]


def _void_keys(rows: np.ndarray) -> np.ndarray:
    rows = np.ascontiguousarray(rows, dtype=">u4")
    return rows.view(np.dtype((np.void, 4 * rows.shape[1]))).ravel()


class _Index:
    """Sorted byte-string keys of n-gram rows, for vectorised look-ups."""

    def __init__(self, rows: np.ndarray):
        keys = _void_keys(rows)
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]

    def find(self, rows: np.ndarray) -> np.ndarray:
        """Index of each row in the indexed rows, -1 where absent."""
        if len(self.sorted) == 0 or len(rows) == 0:
            return np.full(len(rows), -1, dtype=np.int64)
        keys = _void_keys(rows)
        pos = np.searchsorted(self.sorted, keys)
        pos[pos == len(self.sorted)] = 0
        hit = self.sorted[pos] == keys
        return np.where(hit, self.order[pos], -1)


def branching_entropy(gram: Table, ext: Table, min_count: int = 1
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Right and left branching entropy (nats) of the n-grams of ``gram`` seen ``min_count``
    times or more, from the n+1-gram table ``ext``.

    Returns ``(rows, counts, right, left)``. Occurrences next to a cut count as distinct new
    neighbours (see the module docstring).
    """
    if ext.order != gram.order + 1:
        raise ValueError(f"branching entropy of {gram.order}-grams needs the {gram.order + 1}-gram "
                         f"counts, got order {ext.order}")
    keep = gram.counts >= min_count
    rows, counts = gram.grams[keep], gram.counts[keep].astype(np.float64)
    index = _Index(rows)
    out = []
    for cols in (slice(0, gram.order), slice(1, gram.order + 1)):  # right: by prefix; left
        owner = index.find(ext.grams[:, cols])
        hit = owner >= 0
        g, c = owner[hit], ext.counts[hit].astype(np.float64)
        total = np.maximum(counts, 1.0)
        seen = np.bincount(g, weights=c, minlength=len(rows))
        rest = np.maximum(counts - seen, 0.0)
        p = c / total[g]
        h = -np.bincount(g, weights=p * np.log(p), minlength=len(rows))
        out.append(h + rest / total * np.log(total) + 0.0)
    return rows, counts, out[0], out[1]


@dataclass
class Autonomy:
    """The autonomy of every counted n-gram of length 1..max_len."""

    rows: dict[int, np.ndarray]  # length -> (m, length) code points
    counts: dict[int, np.ndarray]
    score: dict[int, np.ndarray]  # length -> a(x)

    def strings(self, k: int) -> list[str]:
        """The n-grams of length k as strings, in the order of ``score[k]``."""
        rows = self.rows[k]
        return rows.astype(np.uint32).view(f"<U{k}").ravel().tolist() if len(rows) else []

    def as_dict(self) -> dict[str, float]:
        """String -> a(x)."""
        out = {}
        for k in self.rows:
            out.update(zip(self.strings(k), self.score[k].tolist(), strict=True))
        return out

    def __len__(self) -> int:
        return sum(len(s) for s in self.score.values())


def _standardise(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def autonomy(tables: dict[int, Table], max_len: int, min_count: int = 2) -> Autonomy:
    """nVBE autonomy ``a(x)`` of the n-grams of length 1..max_len (``min_count`` or more
    occurrences; single characters always); needs the count tables up to ``max_len + 1``."""
    if max_len + 1 not in tables:
        raise ValueError(f"autonomy of strings up to {max_len} characters needs n-gram counts up "
                         f"to order {max_len + 1}; the counts stop at {max(tables)}")
    be = {k: branching_entropy(tables[k], tables[k + 1], min_count if k > 1 else 1)
          for k in range(1, max_len + 1)}
    rows, counts, score = {}, {}, {}
    for k in range(1, max_len + 1):
        r, c, hr, hl = be[k]
        if k == 1:
            ok = np.ones(len(r), dtype=bool)
            dr, dl = hr, hl
        else:
            shorter, _, hr_short, hl_short = be[k - 1]
            index = _Index(shorter)
            pre, suf = index.find(r[:, :-1]), index.find(r[:, 1:])
            ok = (pre >= 0) & (suf >= 0)  # both shorter strings counted often enough
            dr = hr[ok] - hr_short[pre[ok]]
            dl = hl[ok] - hl_short[suf[ok]]
        rows[k], counts[k] = r[ok], c[ok]
        score[k] = _standardise(dr) + _standardise(dl)
    return Autonomy(rows, counts, score)


class JointModel:
    """The lexicon's log-probabilities and the n-grams' autonomy in one segmenter (see the
    module docstring); the n-gram side is built once, the lexicon side every round."""

    def __init__(self, auto: Autonomy, *, weight: float, floor: float, ngram_share: float,
                 max_word_len: int):
        import pandas as pd

        words = [w for k in sorted(auto.rows) if k <= max_word_len for w in auto.strings(k)]
        a = np.concatenate([auto.score[k] for k in sorted(auto.rows) if k <= max_word_len])
        c = np.concatenate([auto.counts[k] for k in sorted(auto.rows) if k <= max_word_len])
        ok = np.fromiter((len(w) == 1 or units_ok(w) for w in words), dtype=bool,
                         count=len(words))
        self.words = [w for w, good in zip(words, ok, strict=True) if good]
        self.bonus = weight * a[ok] * np.fromiter(map(len, self.words), dtype=np.float64,
                                                  count=len(self.words))
        self.ngram_counts = np.maximum(floor, ngram_share * c[ok].astype(np.float64))
        self.index = pd.Index(self.words)
        self.max_word_len = max_word_len

    def segmenter(self, counts: dict[str, float]) -> UnigramSegmenter:
        """Words: the lexicon and every n-gram with an autonomy; score ``log p(w) + weight a(w)
        |w|`` (``p`` from ``counts``; an n-gram outside them counts ``ngram_share`` times its
        n-gram count, at least ``floor``)."""
        lex = [w for w in counts if len(w) <= self.max_word_len]
        lex_c = np.array([counts[w] for w in lex], dtype=np.float64)
        pos = self.index.get_indexer(lex)
        c = self.ngram_counts.copy()
        c[pos[pos >= 0]] = lex_c[pos >= 0]
        extra = np.flatnonzero(pos < 0)  # lexicon words without an autonomy (longer, rarer)
        words = self.words + [lex[i] for i in extra]
        total = float(sum(counts.values()))
        scores = np.r_[np.log(c / total) + self.bonus, np.log(lex_c[extra] / total)]
        return UnigramSegmenter(words, scores, unk_logprob=float(np.log(0.5 / total)))


def refine(shards: Shards, counts: dict[str, float], auto: Autonomy, *, weight: float,
           floor: float, ngram_share: float, rounds: int, min_word_count: int,
           max_word_len: int, stats: dict | None = None) -> dict[str, float]:
    """Re-estimate the lexicon ``rounds`` times with the joint segmenter: each round segments the
    corpus, and the words it used (multi-character ones ``min_word_count`` times or more, every
    character) with their counts are the next lexicon."""
    model = JointModel(auto, weight=weight, floor=floor, ngram_share=ngram_share,
                       max_word_len=max_word_len)
    for it in range(rounds):
        seg = model.segmenter(counts)
        used: Counter = Counter()
        for lines in shards():
            codes = encode(lines)
            dense = seg.dense_codes(codes)
            used.update(seg.viterbi_counts(dense, codes))
        counts = {w: float(c) for w, c in used.items() if len(w) == 1 or c >= min_word_count}
        log.info("autonomy round %d: %d words (%d multi-character)", it + 1, len(counts),
                 sum(len(w) > 1 for w in counts))
        if stats is not None:
            stats.setdefault("autonomy_rounds", []).append(
                {"words": len(counts), "multi_char_words": sum(len(w) > 1 for w in counts)})
    return counts
