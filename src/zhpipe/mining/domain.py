"""A field's own vocabulary: its words contrasted with general text (Su Jianlin, 分享一次专业领域
词汇的无监督挖掘, kexue.fm/archives/6540).

The field's corpus is mined on its own (steps 1-6 of :mod:`zhpipe.mining.discover`); both it
and a general corpus are then segmented with that lexicon, and each multi-character word is
ranked by how much more often it occurs in the field than in general text
(:func:`domain_terms`). Before the ranking, adjacent pieces that nearly always occur together
are joined (:func:`join_pairs`: a long term that mining cut in two, 地方性法 + 规案, is one word
again); only words of Han characters rank (:func:`term_form`: markup, punctuation and numbers
with units never do), and a word whose neighbours on one side are nearly always the same is a
fragment of a longer phrase and loses to it (:func:`neighbour_entropy`: 以下罚款, after 元).
The words above a threshold are the field's terms: they join the
general lexicon (:func:`field_lexicon`) so that the segmenter keeps them whole, and the CRF
segmenter reads them as lexicon flags. :func:`kept_whole` measures how often a segmentation
keeps a term's occurrences as one word (no gold needed).
"""

from __future__ import annotations

import math
import re
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
    # the CRF segmenter (train_seg) with and without the terms as flags, and with its decoding
    # constrained to keep them whole, in kept_whole
    crf: bool = True
    # adjacent pieces join into one word when the rarer one occurs this share of its times next
    # to the other (and the pair at least min_term_count times), up to max_term_chars; rounds:
    # joins of joins (three pieces take two rounds)
    join_share: float = Field(default=0.9, gt=0, le=1)
    max_term_chars: int = Field(default=10, ge=2)
    join_rounds: int = Field(default=2, ge=0)
    # a term's neighbour entropy (nats, over the words next to it; a line end or punctuation
    # counts as a new neighbour each time) must reach this on both sides: below it, the word
    # is a fragment of a longer phrase
    min_term_entropy: float = Field(default=0.7, ge=0)


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERM = re.compile(f"^\ue001?[{_HAN}]{{2,}}$")  # Han characters, a Latin/code unit first (5G基站)
_HAN_CHAR = re.compile(f"[{_HAN}]")
_NUMERAL = "〇零一二两三四五六七八九十百千万亿"
# a number in Chinese numerals with a short unit (十日内, 三年以, 处一千元以上), a word ending in
# a numeral (处二); a phrase: ending in 的, a 本/该 reference (本办法), X和Y (市和区)
_NOT_TERM = re.compile(f"^第?[{_NUMERAL}]+[^{_NUMERAL}]{{0,2}}$|[{_NUMERAL}]$"
                       f"|[{_NUMERAL}][元年日月个次条款项章节倍人天届名件台]|[以不][上下内满]$"
                       "|[的不之]$|^[之次]|^[本该].{2,}$|^.[和与及或].$")


def term_form(word: str) -> bool:
    """Can ``word`` (as the lexicon stores it: number and Latin runs as placeholder units) be a
    term: at least two Han characters and nothing else but a leading Latin-letter unit. Markup
    (``##``, ``--``), punctuation, numbers with units (``<NUM>万元``, ``十日内``, ``处一千元以上``,
    and words ending in a numeral, cut from one: ``处二``) and phrases (``不服的``, ``本办法``,
    ``市和区``) never are."""
    return _TERM.match(word) is not None and _NOT_TERM.search(word) is None


def join_pairs(segmented: Sequence[Sequence[str]], min_count: int, share: float,
               max_chars: int) -> dict[tuple[str, str], int]:
    """Adjacent multi-character words (a, b) that belong together: the pair occurs at least
    ``min_count`` times and at least ``share`` of the rarer word's occurrences, and a + b is a
    term-shaped word of at most ``max_chars`` characters. Returns the pairs and their counts."""
    single: Counter = Counter()
    pairs: Counter = Counter()
    for words in segmented:
        single.update(w for w in words if len(w) > 1)
        pairs.update((a, b) for a, b in zip(words, words[1:], strict=False)
                     if len(a) > 1 and len(b) > 1)
    return {(a, b): c for (a, b), c in pairs.items()
            if c >= min_count and c >= share * min(single[a], single[b])
            and len(a) + len(b) <= max_chars and term_form(a + b)}


def apply_joins(words: Sequence[str], joins) -> list[str]:
    """Join the pairs in ``joins`` left to right (a word joins at most once per call)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and (words[i], words[i + 1]) in joins:
            out.append(words[i] + words[i + 1])
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def joined(segmented: Sequence[Sequence[str]], min_count: int, share: float, max_chars: int,
           rounds: int) -> tuple[list[list[str]], dict[tuple[str, str], int]]:
    """:func:`join_pairs` and :func:`apply_joins` for ``rounds`` rounds; the segmentation after
    them and every join made (in order: apply them in this order to other text)."""
    out = [list(ws) for ws in segmented]
    made: dict[tuple[str, str], int] = {}
    for _ in range(rounds):
        joins = join_pairs(out, min_count, share, max_chars)
        if not joins:
            break
        made.update(joins)
        out = [apply_joins(ws, joins) for ws in out]
    return out, made


def apply_all(words: Sequence[str], joins: dict[tuple[str, str], int], rounds: int) -> list[str]:
    """Apply the joins :func:`joined` made to another segmentation (as many rounds)."""
    out = list(words)
    for _ in range(rounds):
        new = apply_joins(out, joins)
        if len(new) == len(out):
            break
        out = new
    return out


def neighbour_entropy(text: str, words: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Left and right branching entropy (nats) of each of ``words`` over its occurrences in
    ``text``: the character before and after each; a line edge or a character that is not Han
    counts as a new neighbour every time (a free boundary)."""

    def h(c: Counter) -> float:
        n = sum(c.values())
        return -sum(v / n * math.log(v / n) for v in c.values()) if n else 0.0

    out = {}
    for w in set(words):
        sides: tuple[Counter, Counter] = (Counter(), Counter())
        free = 0
        start = text.find(w)
        while start >= 0:
            end = start + len(w)
            for side, nb in ((sides[0], text[start - 1] if start else ""),
                             (sides[1], text[end] if end < len(text) else "")):
                if not _HAN_CHAR.match(nb):
                    free += 1
                    nb = f"free{free}"
                side[nb] += 1
            start = text.find(w, start + 1)
        out[w] = (h(sides[0]), h(sides[1]))
    return out


def subsumed(text: str, words: Sequence[str], longer: Iterable[str],
             share: float = 0.8) -> set[str]:
    """The words of ``words`` that occur in ``text`` mostly (at least ``share`` of their
    occurrences) inside words of ``longer`` (the field's vocabulary): fragments that lose to the
    words they cut (权人 inside 所有权人, 债权人, ...; 民委员会 inside 村民委员会)."""
    wanted = set(words)
    holders: dict[str, list[str]] = {w: [] for w in wanted}
    for big in set(longer):
        for i in range(len(big)):
            for j in range(i + 2, len(big) + 1):
                if j - i < len(big) and big[i:j] in wanted:
                    holders[big[i:j]].append(big)
    out = set()
    for w in wanted:
        if not holders[w]:
            continue
        freq = text.count(w)
        inside = sum(text.count(big) * big.count(w) for big in set(holders[w]))
        if freq and inside >= share * freq:
            out.add(w)
    return out


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


def field_terms(own: Sequence[str], seg, general: Iterable[Sequence[str]], p: OwnCorpusParams
                ) -> tuple[list[tuple], Counter, dict]:
    """The field's terms: ``own`` (its raw lines) and the ``general`` text (batches of raw
    lines) cut by the field's lexicon segmenter ``seg``, co-occurring pieces joined, words
    ranked by :func:`domain_terms`, then kept when term-shaped (:func:`term_form`) and not a
    fragment (both neighbour entropies at least ``min_term_entropy``, and not mostly inside a
    longer word of the field). Returns the rows ``(word, field count, general count, log
    ratio)``, best first, the field's word counts and what the filters did (for the metrics)."""
    from zhpipe.mining.lexicon_io import show

    own_seg, joins = joined(seg.segment_lines(own, restore=False), p.min_term_count,
                            p.join_share, p.max_term_chars, p.join_rounds)
    target = word_counts(own_seg)
    background: Counter = Counter()
    for batch in general:
        background.update(word_counts(apply_all(ws, joins, p.join_rounds)
                                      for ws in seg.segment_lines(batch, restore=False)))
    ranked = [r for r in domain_terms(target, background, p.min_term_count, p.alpha)
              if r[3] >= p.min_log_ratio]
    shaped = [r for r in ranked if term_form(r[0])]
    own_text = "\n".join(own)
    entropy = neighbour_entropy(own_text, [r[0] for r in shaped])
    inside = subsumed(own_text, [r[0] for r in shaped],
                      (w for w, c in target.items() if c >= p.min_term_count))
    fragment = {r[0] for r in shaped if min(entropy[r[0]]) < p.min_term_entropy} | inside
    terms = [r for r in shaped if r[0] not in fragment][:p.max_terms]
    filtered = {
        "above_ratio": len(ranked), "not_term_form": len(ranked) - len(shaped),
        "fragments": len(fragment), "inside_longer_words": len(inside), "joins": len(joins),
        "join_examples": [show(a) + "+" + show(b) for (a, b), _ in
                          sorted(joins.items(), key=lambda kv: -kv[1])[:20]],
        "examples": {"not_term_form": [show(r[0]) for r in ranked if not term_form(r[0])][:20],
                     "fragments": [[show(r[0]), *(round(x, 2) for x in entropy[r[0]]),
                                    r[0] in inside] for r in shaped if r[0] in fragment][:30]}}
    return terms, target, filtered


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
