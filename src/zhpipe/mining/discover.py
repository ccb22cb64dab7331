"""Unsupervised word discovery by the minimum-entropy principle ("当机立断" lexicon building).

The steps (each threshold is a field of :class:`MiningParams`):

1. **n-gram counts** of orders 1..max_order+1, per shard, merged (:mod:`zhpipe.mining.ngrams`).
2. **Cohesion**: an n-gram w (order >= 2, count >= min_count) is *cohesive* when the minimum over
   its split points of ``log(N c(w) / (c(left) c(right)))`` is at least ``min_cohesion`` of its
   order.
3. **Cut decisively**: in the text, the boundary between two adjacent characters is kept only if
   some cohesive n-gram covers it; the text is cut at every other boundary. The spans between cuts
   are candidate words; a candidate is dropped when one of its windows of order 3..max_order is
   not cohesive, when it is rarer than ``min_word_count`` or longer than ``max_word_len``.
4. **Boundary freedom**: the entropy of the characters seen left and right of a candidate (a
   punctuation cut counts as one more neighbour); a candidate whose smaller entropy is below
   ``min_boundary_entropy`` is a fragment (的中国, 国人民) and is dropped.
5. **Minimum-entropy pruning and re-estimation**: word probabilities come from a unigram
   language model re-estimated by Viterbi (hard EM) over the corpus; a word is removed when the
   corpus is described at least as cheaply by its parts (:func:`zhpipe.mining.scores.removal_gain`
   per occurrence <= ``prune_threshold``), its counts passed to the parts; then the model is
   re-estimated again. The total code length of the corpus is reported after each step.
6. **Boundary refinement** (``autonomy_weight`` > 0): the nVBE autonomy of every n-gram
   (:mod:`zhpipe.mining.nvbe`) joins the lexicon's log-probabilities in the segmentation, and the
   words it uses become the lexicon (``autonomy_rounds`` re-estimations). Function characters
   and affixes split where the branching entropy says a boundary is, and words that only occur
   inside longer cohesive spans (国民 in 国民经济) become reachable.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from zhpipe.mining.ngrams import Table, count_lines, encode, merge, units_ok, window_has_cut
from zhpipe.mining.params import MiningParams
from zhpipe.mining.scores import code_length, entropy, removal_gain
from zhpipe.mining.scores import cohesion as cohesion_score
from zhpipe.mining.segmenter import (
    Keyer,
    KeyTable,
    UnigramSegmenter,
    count_spans,
    word_char_table,
)

log = logging.getLogger(__name__)

SMALL_CORPUS = 200_000  # characters; below this a warning says the statistics are unreliable
Shards = Callable[[], Iterable[list[str]]]  # re-iterable: yields the lines of each shard


def _s(row) -> str:
    return "".join(map(chr, row))


@dataclass
class Lexicon:
    """The mined words with their statistics, most frequent first."""

    words: list[str]
    counts: np.ndarray
    cohesion: np.ndarray
    left_entropy: np.ndarray
    right_entropy: np.ndarray
    stats: dict = field(default_factory=dict)

    @property
    def probabilities(self) -> np.ndarray:
        return self.counts / self.counts.sum()

    def as_counts(self) -> dict[str, float]:
        return {w: float(c) for w, c in zip(self.words, self.counts, strict=True)}

    def segmenter(self) -> UnigramSegmenter:
        return UnigramSegmenter.from_counts(self.as_counts())

    def __len__(self) -> int:
        return len(self.words)


class NgramIndex:
    """Merged n-gram tables with integer keys over one dense alphabet, for fast lookups."""

    def __init__(self, tables: dict[int, Table]):
        self.tables = tables
        uni = tables[1]
        self.total = float(uni.counts.sum())
        self.alphabet = uni.grams[:, 0].astype(np.int64)
        self.keyer = Keyer(len(self.alphabet) + 1)
        self.keys: dict[int, np.ndarray] = {}
        self.counts: dict[int, np.ndarray] = {}
        self.rows: dict[int, np.ndarray] = {}
        self.tables_by_key: dict[int, KeyTable] = {}

    def dense(self, codes: np.ndarray) -> np.ndarray:
        """Dense ids 1..V of code points (0 stays 0: a cut; unseen characters get V + 1)."""
        if not hasattr(self, "_lut"):
            self._lut = np.full(0x110000, len(self.alphabet) + 1, dtype=np.int64)
            self._lut[self.alphabet] = np.arange(1, len(self.alphabet) + 1)
            self._lut[0] = 0
        return self._lut[codes]

    def index(self, order: int, min_count: int) -> None:
        t = self.tables[order]
        keep = t.counts >= min_count
        rows = t.grams[keep]
        keys = self.keyer.rows(self.dense(rows))
        order_ = np.argsort(keys, kind="stable")
        self.keys[order], self.counts[order], self.rows[order] = (
            keys[order_], t.counts[keep][order_], rows[order_])
        self.tables_by_key.pop(order, None)

    def lookup(self, order: int, keys: np.ndarray) -> np.ndarray:
        """Counts of the n-grams with these keys (0 where absent)."""
        if order not in self.tables_by_key:
            self.tables_by_key[order] = KeyTable(self.keys[order])
        pos = self.tables_by_key[order].positions(keys)
        return np.where(pos >= 0, self.counts[order][pos], 0)


class Miner:
    def __init__(self, params: MiningParams):
        self.p = params
        self.stats: dict = {}

    # ---------------------------------------------------------------- step 2: cohesion
    def fit_ngrams(self, tables: dict[int, Table]) -> None:
        p = self.p
        idx = NgramIndex(tables)
        for k in range(1, p.max_order + 1):
            idx.index(k, p.min_count if k > 1 else 1)
        self.index = idx
        self.cohesive_keys: dict[int, np.ndarray] = {}
        self.cohesive: dict[int, set[str]] = {}
        self.cohesion_of: dict[str, float] = {}
        for k in range(2, p.max_order + 1):
            rows = idx.rows[k]
            dense = idx.dense(rows)
            parts = []
            for s in range(1, k):
                left = idx.lookup(s, idx.keyer.rows(dense[:, :s]))
                right = idx.lookup(k - s, idx.keyer.rows(dense[:, s:]))
                parts.append((left, right))
            coh = cohesion_score(idx.counts[k], parts, idx.total) if len(rows) else np.zeros(0)
            ok = coh >= p.threshold(k)
            self.cohesive_keys[k] = KeyTable(idx.keys[k][ok])
            strings = [_s(r) for r in rows[ok]]
            self.cohesive[k] = set(strings)
            self.cohesion_of.update(zip(strings, coh[ok].tolist(), strict=True))
            self.stats[f"cohesive_{k}grams"] = int(ok.sum())
        self.stats["characters"] = int(idx.total)
        if idx.total < SMALL_CORPUS:
            log.warning("the corpus has only %d characters: n-gram statistics below about %d "
                        "characters are unreliable, expect a poor lexicon (lower min_cohesion "
                        "and min_count, or add text)", idx.total, SMALL_CORPUS)

    # ---------------------------------------------------------------- step 3: cut
    def candidates(self, lines: Iterable[str]) -> Counter:
        """Cut ``lines`` where no cohesive n-gram holds two characters together; count spans."""
        codes = encode(lines)
        n = len(codes)
        out: Counter = Counter()
        if n == 0:
            return out
        idx = self.index
        dense = idx.dense(codes)  # characters never counted get an id no n-gram has
        diff = np.zeros(n + 1, dtype=np.int64)
        for k in range(2, self.p.max_order + 1):
            if n < k or self.cohesive_keys[k].size == 0:
                continue
            hit = self.cohesive_keys[k].positions(idx.keyer.windows(dense, k)) >= 0
            hit &= ~window_has_cut(dense == 0, k)
            starts = np.flatnonzero(hit)
            diff += np.bincount(starts, minlength=n + 1)
            diff -= np.bincount(starts + k - 1, minlength=n + 1)
        covered = np.cumsum(diff)[: n - 1] > 0  # boundary i: between char i and char i+1
        cut = ~covered | (dense[:-1] == 0) | (dense[1:] == 0)
        bounds = np.flatnonzero(cut) + 1
        starts = np.r_[0, bounds]
        length = np.r_[bounds, n] - starts
        keep = (length <= self.p.max_word_len) & (dense[starts] != 0)
        return count_spans(codes, dense, starts[keep], length[keep], idx.keyer)

    def is_real(self, word: str) -> bool:
        """Every window of order 3..max_order inside the word is cohesive, and a number or
        Latin unit, if any, starts the word (12月, 3.5％元 but not 月12日)."""
        if not units_ok(word):
            return False
        for k in range(3, min(self.p.max_order, len(word)) + 1):
            for i in range(len(word) - k + 1):
                if word[i:i + k] not in self.cohesive[k]:
                    return False
        return True

    # ---------------------------------------------------------------- step 4: entropy
    def boundary_entropy(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Left and right neighbour entropy of each word (NaN when longer than max_order)."""
        idx = self.index
        left = np.full(len(words), np.nan)
        right = np.full(len(words), np.nan)
        by_len: dict[int, list[int]] = {}
        for i, w in enumerate(words):
            by_len.setdefault(len(w), []).append(i)
        for k, ids in by_len.items():
            if k + 1 not in idx.tables:
                continue
            rows = np.array([[ord(c) for c in words[i]] for i in ids], dtype=np.int64)
            wkeys = idx.keyer.rows(self.index.dense(rows))
            order = np.argsort(wkeys)
            skeys = wkeys[order]
            ext = idx.tables[k + 1]
            ext_dense = idx.dense(ext.grams)
            occ = idx.lookup(k, wkeys).astype(np.float64) if k in idx.keys else None
            for cols, target in ((slice(0, k), right), (slice(1, k + 1), left)):
                keys = idx.keyer.rows(ext_dense[:, cols])
                pos = np.searchsorted(skeys, keys)
                pos[pos == len(skeys)] = 0
                hit = skeys[pos] == keys
                group = order[pos[hit]]
                c = ext.counts[hit].astype(np.float64)
                seen = np.bincount(group, weights=c, minlength=len(ids))
                # occurrences next to a cut (punctuation, line end) count as one more neighbour
                rest = np.maximum((occ if occ is not None else seen) - seen, 0)
                all_c = np.r_[c, rest]
                all_g = np.r_[group, np.arange(len(ids))]
                nz = all_c > 0
                target[ids] = entropy(all_c[nz], all_g[nz], len(ids))
        return left, right

    # ---------------------------------------------------------------- step 5: EM, pruning
    def viterbi_counts(self, shards: Shards, counts: dict[str, float]) -> Counter:
        seg = UnigramSegmenter.from_counts(counts, max_word_len=self.p.max_word_len)
        out: Counter = Counter()
        for lines in shards():
            codes = encode(lines)
            dense = seg.dense_codes(codes)
            if self.p.em == "soft":
                out.update(seg.expected_counts(dense))
                continue
            out.update(seg.viterbi_counts(dense, codes))
        return out

    def re_estimate(self, shards: Shards, counts: dict[str, float], iterations: int,
                    keep: set[str]) -> dict[str, float]:
        for it in range(iterations):
            new = self.viterbi_counts(shards, counts)
            counts = {w: float(c) for w, c in new.items()
                      if (len(w) == 1 or w in keep) and (len(w) == 1 or c >= self.p.min_word_count)}
            # characters seen only inside words keep a small count, so every text segments
            for w in keep:
                if len(w) == 1 and w not in counts:
                    counts[w] = 0.5
            self.stats.setdefault("code_length_nats", []).append(
                round(code_length(list(counts.values())), 1))
            log.info("EM iteration %d: %d words, code length %.4g nats", it + 1, len(counts),
                     self.stats["code_length_nats"][-1])
        return counts

    def prune(self, counts: dict[str, float]) -> tuple[dict[str, float], list[str]]:
        """Remove words whose parts describe the corpus at least as cheaply (longest first)."""
        counts = dict(counts)
        removed = []
        n_tokens = sum(counts.values())
        for w in sorted((w for w in counts if len(w) > 1), key=lambda w: (-len(w), counts[w])):
            c_w = counts[w]
            mult = Counter(best_split(w, counts, n_tokens))
            gain = removal_gain(n_tokens, c_w, dict(mult), {u: counts.get(u, 0.0) for u in mult})
            if gain / c_w <= self.p.prune_threshold:
                del counts[w]
                for u, m in mult.items():
                    counts[u] = counts.get(u, 0.0) + m * c_w
                n_tokens += (sum(mult.values()) - 1) * c_w
                removed.append(w)
        return counts, removed


def best_split(word: str, counts: dict[str, float], total: float) -> list[str]:
    """The most probable way to write ``word`` with other lexicon words (unigram Viterbi)."""
    n = len(word)
    floor = math.log(0.5 / total)
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - 16), j):
            if i == 0 and j == n:
                continue  # not the word itself
            u = word[i:j]
            c = counts.get(u, 0.0)
            if c > 0:
                s = best[i] + math.log(c / total)
            elif j - i == 1:
                s = best[i] + floor
            else:
                continue
            if s > best[j]:
                best[j], back[j] = s, i
    parts, j = [], n
    while j > 0:
        parts.append(word[back[j]:j])
        j = back[j]
    return parts[::-1]


def count_shards(shards: Shards, max_order: int) -> dict[int, Table]:
    """Count n-grams (orders 1..max_order) shard by shard and merge the tables."""
    merged: dict[int, Table] | None = None
    for lines in shards():
        t = count_lines(lines, max_order)
        merged = t if merged is None else {n: merge([merged[n], t[n]]) for n in t}
    if merged is None or merged[1].total() == 0:
        raise ValueError("the corpus holds no text to mine")
    return merged


@dataclass
class Mined:
    """What the mining steps made: the miner (its n-gram statistics), the candidates' counts
    after step 4, the lexicon after minimum-entropy pruning (step 5) and the refined one (6)."""

    miner: Miner
    candidates: dict[str, float]
    min_entropy: Lexicon
    lexicon: Lexicon
    seconds: dict[str, float]


def mine_steps(shards: Shards, params: MiningParams, tables: dict[int, Table] | None = None,
               on_step: Callable[[str], None] | None = None) -> Mined:
    """Run steps 1-6 over a corpus given as shards of lines (``tables``: its n-gram counts, if
    counted already); ``on_step(name)`` is told as each step starts (a progress bar's label).
    The one assembly of the mining pipeline: the mine_words and own_corpus stages and ``zhpipe
    mine`` all call it."""
    note = on_step or (lambda name: None)
    t0 = time.perf_counter()
    if tables is None:
        note("counting")
        tables = count_shards(shards, params.max_order + 1)
    note("cutting and re-estimating")
    miner, candidates = select_candidates(shards, params, tables)
    note("pruning and re-estimating")
    min_entropy = prune_and_estimate(miner, shards, candidates, params.prune_threshold)
    t1 = time.perf_counter()
    note("refining by boundary statistics")
    lexicon = refine_lexicon(miner, shards, min_entropy)
    return Mined(miner, candidates, min_entropy, lexicon,
                 {"min_entropy": t1 - t0, "refine": time.perf_counter() - t1})


def mine(shards: Shards, params: MiningParams, tables: dict[int, Table] | None = None) -> Lexicon:
    """Run steps 1-6 over a corpus given as shards of lines; return the lexicon."""
    return mine_steps(shards, params, tables).lexicon


def refine_lexicon(miner: Miner, shards: Shards, lexicon: Lexicon) -> Lexicon:
    """Step 6: the nVBE boundary refinement of a pruned lexicon (unchanged when
    ``autonomy_weight`` is 0)."""
    p = miner.p
    if p.autonomy_weight == 0:
        return lexicon
    from zhpipe.mining.nvbe import autonomy, refine

    max_len = min(p.max_order, max(miner.index.tables) - 1)
    auto = autonomy(miner.index.tables, max_len, p.autonomy_min_count)
    miner.stats["autonomy_ngrams"] = len(auto)
    counts = refine(shards, lexicon.as_counts(), auto, weight=p.autonomy_weight,
                    floor=p.autonomy_floor, ngram_share=p.autonomy_ngram_share,
                    rounds=p.autonomy_rounds,
                    min_word_count=p.autonomy_min_word_count, max_word_len=p.max_word_len,
                    stats=miner.stats)
    return build_lexicon(miner, counts)


def select_candidates(shards: Shards, params: MiningParams,
                      tables: dict[int, Table] | None = None) -> tuple[Miner, dict[str, float]]:
    """Steps 1-4 and a first re-estimation: the miner and the word counts before pruning."""
    p = params
    if tables is None:
        tables = count_shards(shards, p.max_order + 1)
    if p.max_order not in tables:
        raise ValueError(f"the n-gram counts go up to order {max(tables)}, but max_order is "
                         f"{p.max_order}: count to a higher order")
    miner = Miner(p)
    miner.fit_ngrams(tables)
    cand: Counter = Counter()
    for lines in shards():
        cand.update(miner.candidates(lines))
    multi = [w for w, c in cand.items() if len(w) > 1 and c >= p.min_word_count and miner.is_real(w)]
    miner.stats["candidates"] = len(multi)
    left, right = miner.boundary_entropy(multi)
    free = np.fmin(left, right)
    ok = np.isnan(free) | (free >= p.min_boundary_entropy)
    words = {w for w, good in zip(multi, ok, strict=True) if good}
    miner.stats["after_entropy_filter"] = len(words)
    uni = tables[1]
    chars = {_s(r): float(c) for r, c in zip(uni.grams, uni.counts, strict=True)
             if word_char_table()[r[0]]}
    counts = {**chars, **{w: float(cand[w]) for w in words}}
    # one Viterbi pass first: pruning needs counts of words as used, not of raw cut spans
    counts = miner.re_estimate(shards, counts, 1, set(counts))
    return miner, counts


def prune_and_estimate(miner: Miner, shards: Shards, counts: dict[str, float],
                       threshold: float, iterations: int | None = None) -> Lexicon:
    """Step 5: minimum-entropy pruning at ``threshold``, then Viterbi re-estimation."""
    miner.p = miner.p.model_copy(update={"prune_threshold": threshold})
    miner.stats.pop("code_length_nats", None)
    counts, removed = miner.prune(counts)
    miner.stats["pruned"] = len(removed)
    counts = miner.re_estimate(shards, counts, miner.p.em_iterations if iterations is None
                               else iterations, set(counts))
    return build_lexicon(miner, counts)


def build_lexicon(miner: Miner, counts: dict[str, float]) -> Lexicon:
    words = sorted(counts, key=lambda w: (-counts[w], w))
    left, right = miner.boundary_entropy(words)
    coh = np.array([miner.cohesion_of.get(w, math.nan) for w in words])
    stats = dict(miner.stats, lexicon_size=len(words),
                 multi_char_words=sum(len(w) > 1 for w in words))
    return Lexicon(words, np.array([counts[w] for w in words]), coh, left, right, stats)
