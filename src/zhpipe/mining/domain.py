"""A field's own vocabulary: its words contrasted with general text (Su Jianlin, 分享一次专业领域
词汇的无监督挖掘, kexue.fm/archives/6540).

The field's corpus is mined on its own (steps 1-6 of :mod:`zhpipe.mining.discover`); both it
and a general corpus are then segmented with that lexicon, and each multi-character word is
ranked by how much more often it occurs in the field than in general text
(:func:`domain_terms`). The words above a threshold are the field's terms: they join the
general lexicon (:func:`field_lexicon`) so that the segmenter keeps them whole, and the CRF
segmenter reads them as lexicon flags. :func:`kept_whole` measures how often a segmentation
keeps a term's occurrences as one word (no gold needed).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from pydantic import Field

from zhpipe.params import Section


class OwnCorpusParams(Section):
    """The ``own_corpus`` section of params.yaml (stage own_corpus@<name>)."""

    # a term occurs at least this often in the field's corpus
    min_term_count: int = Field(default=5, ge=1)
    # log ratio of the word's relative frequency in the field to that in general text (2: 7.4x)
    min_log_ratio: float = 2.0
    max_terms: int = Field(default=1000, ge=1)
    # additive smoothing of the counts in the ratio
    alpha: float = Field(default=0.5, gt=0)
    # what the report shows: top terms, nearest neighbours of the first few, sample sentences
    report_terms: int = Field(default=30, ge=1)
    neighbour_terms: int = Field(default=8, ge=0)
    neighbours: int = Field(default=6, ge=1)
    samples: int = Field(default=6, ge=0)
    # the terms whose occurrences kept_whole counts, and lines read for it (the CRF is slower)
    check_terms: int = Field(default=100, ge=1)
    check_lines: int = Field(default=3000, ge=1)
    # word vectors on the field's text plus the general corpus (gensim skip-gram)
    vector_dim: int = Field(default=100, ge=2)
    vector_window: int = Field(default=5, ge=1)
    vector_epochs: int = Field(default=5, ge=1)
    vector_min_count: int = Field(default=3, ge=1)
    seed: int = 1
    # the CRF segmenter (train_seg) with and without the terms as flags, in kept_whole
    crf: bool = True


def word_counts(segmented: Iterable[Sequence[str]]) -> Counter:
    """Multi-character word counts of segmented lines."""
    counts: Counter = Counter()
    for words in segmented:
        counts.update(w for w in words if len(w) > 1)
    return counts


def domain_terms(target: Counter, background: Counter, min_count: int = 5, alpha: float = 0.5):
    """Rank target words by how much more often they occur than in the background.

    ``score(w) = log((c_t(w) + a) / (N_t + a V)) - log((c_b(w) + a) / (N_b + a V))``: the log
    ratio of the word's smoothed relative frequencies in the target and background corpora
    (V: the number of distinct words). Words rarer than ``min_count`` in the target are left out.
    Rows ``(word, target count, background count, score)``, best first (ties: more frequent).
    """
    vocab = set(target) | set(background)
    nt, nb, v = sum(target.values()), sum(background.values()), len(vocab)
    rows = []
    for w, ct in target.items():
        if ct < min_count:
            continue
        cb = background.get(w, 0)
        score = math.log((ct + alpha) / (nt + alpha * v)) - math.log((cb + alpha) / (nb + alpha * v))
        rows.append((w, ct, cb, score))
    rows.sort(key=lambda r: (-r[3], -r[1], r[0]))
    return rows


def field_lexicon(general: dict[str, float], terms: Iterable[str], field_counts: Counter,
                  field_total: float) -> dict[str, float]:
    """The general lexicon plus the field's terms, each counted as often, relative to the
    general lexicon's total, as it occurs in the field's text (never less than it had)."""
    scale = sum(general.values()) / max(field_total, 1.0)
    out = dict(general)
    for t in terms:
        out[t] = max(out.get(t, 0.0), field_counts[t] * scale, 1.0)
    return out


def kept_whole(segment: Callable[[list[str]], list[list[str]]], lines: Sequence[str],
               terms: Iterable[str]) -> tuple[int, int]:
    """``(kept, occurrences)``: how many occurrences of ``terms`` in ``lines`` the segmentation
    keeps as exactly one word (a boundary before and after it, none inside). Overlapping
    occurrences each count."""
    terms = sorted(set(terms), key=len, reverse=True)
    kept = total = 0
    for line, words in zip(lines, segment(list(lines)), strict=True):
        cuts, pos = {0}, 0
        for w in words:
            pos += len(w)
            cuts.add(pos)
        for t in terms:
            start = line.find(t)
            while start >= 0:
                total += 1
                end = start + len(t)
                if start in cuts and end in cuts and not any(
                        c in cuts for c in range(start + 1, end)):
                    kept += 1
                start = line.find(t, start + 1)
    return kept, total


def lines_with(lines: Iterable[str], terms: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` lines that hold at least one of ``terms``."""
    out = []
    for line in lines:
        if any(t in line for t in terms):
            out.append(line)
            if len(out) >= limit:
                break
    return out


def neighbours(words: list[str], vectors, queries: Iterable[str], k: int
               ) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` nearest words (cosine) of each query in the vocabulary, the vectors centred
    first: vectors trained briefly on little text share a common direction that makes every
    cosine near 1 (removing the mean: Mu and Viswanath 2018, all-but-the-top)."""
    import numpy as np

    index = {w: i for i, w in enumerate(words)}
    vectors = vectors - vectors.mean(axis=0)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = {}
    for q in queries:
        if q not in index:
            continue
        sims = unit @ unit[index[q]]
        sims[index[q]] = -np.inf
        best = np.argsort(-sims)[:k]
        out[q] = [(words[i], round(float(sims[i]), 3)) for i in best]
    return out
