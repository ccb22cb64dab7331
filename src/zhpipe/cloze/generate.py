"""Generate CMRC 2017-style cloze items from a segmented corpus.

The official items are built like this (read off the validation set: 2,000 items, passages of
18 sentences and 322 tokens on average, answers of 2.06 characters, mostly nouns and names, every
answer also present elsewhere in its passage). The generator copies that construction:

1. The corpus is cut into sentences (at 。！？ and their ASCII forms, and at line ends) and the
   sentences into consecutive **passages** of ``passage_sentences`` sentences, a new passage
   starting every ``passage_stride`` sentences (default: no overlap; a smaller stride makes more
   items from the same text, each query sentence seen in several contexts). The
   1998 corpus has no article boundaries, so a passage can straddle two articles, as a reader of
   the paper would. Its sentences are longer than the stories' (25 tokens against 18), so 13
   sentences make passages of the validation set's size.
2. In each passage up to ``items_per_passage`` **query sentences** are drawn (without
   replacement). In a query sentence the candidate answers are the words that
   * carry a noun tag (``answer_tags``: n, nr, ns, nt, nz by default) when the corpus is
     POS-tagged, or, for plain segmented text, are among the words outside the
     ``skip_top_words`` most frequent of the corpus (function words);
   * are made of Chinese characters only, ``min_answer_chars`` or longer, and are not among
     the words the reader never answers (``never``: see ``non_answer_words``);
   * occur exactly once in the query sentence and at least once in another sentence of the
     passage (so the answer is always recoverable from the passage).
   One candidate is drawn at random and replaced by ``XXXXX``.

   The official items differ in one respect: 12.6% of the validation answers also occur
   elsewhere in their own query sentence, and here none do, so the reader learns that a word
   of the query is not the answer and loses those items. Allowing such answers (any position
   whose word occurs again in another sentence: 13.6% of the generated answers are then also
   in their query) cost 2.8 points on the validation set with the quick profile of the time
   (constant rate 0.002; 41.60 against 44.40): the reader then picked a word of the query for
   431 items where 252 answers are one, and lost more of the other items than it gained.
3. The blanked sentence stays in the passage (as in the official files) and is also the query.

Surname and given name (江/nr 泽民/nr) are joined into one word, as CMRC's segmentation writes
names.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from zhpipe.cloze.data import BLANK, ClozeItem
from zhpipe.corpus.text import is_han

SENTENCE_END = {"。", "！", "？", "!", "?"}


@dataclass(frozen=True)
class GeneratorOptions:
    passage_sentences: int = 13
    items_per_passage: int = 4
    answer_tags: tuple[str, ...] = ("n", "nr", "ns", "nt", "nz")
    min_answer_chars: int = 1
    skip_top_words: int = 300
    seed: int = 1
    passage_stride: int | None = None  # None: passage_sentences (no overlap)


Token = tuple[str, str | None]  # (word, POS tag or None)


def parse_pos_line(line: str) -> list[Token]:
    """``迈向/v 充满/v 江/nr 泽民/nr`` -> tokens; consecutive nr tokens are joined."""
    out: list[Token] = []
    for tok in line.split():
        word, _, tag = tok.rpartition("/")
        if not word:
            word, tag = tok, ""
        if tag == "nr" and out and out[-1][1] == "nr":
            out[-1] = (out[-1][0] + word, "nr")
        else:
            out.append((word, tag))
    return out


def sentences(lines: Iterable[list[Token]]) -> Iterable[list[Token]]:
    """Each line cut after sentence-final punctuation; empty pieces dropped."""
    for toks in lines:
        cur: list[Token] = []
        for t in toks:
            cur.append(t)
            if t[0] in SENTENCE_END:
                yield cur
                cur = []
        if cur:
            yield cur


def read_tagged(path: str | os.PathLike) -> list[list[Token]]:
    """Sentences of a ``word/tag`` file (the prepared 1998 ``*.pos.txt``)."""
    with open(path, encoding="utf-8") as fh:
        return list(sentences(parse_pos_line(line) for line in fh if line.strip()))


def segment_raw(paths: Iterable[str | os.PathLike]) -> list[list[Token]]:
    """Sentences of raw text files (one paragraph a line), cut into words by jieba's default
    dictionary (no tags: answers come from outside the most frequent words)."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    out: list[list[Token]] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            out += sentences([(w, None) for w in jieba.cut(line.strip()) if w.strip()]
                             for line in fh if line.strip())
    return out


def read_segmented(path: str | os.PathLike) -> list[list[Token]]:
    """Sentences of a plain segmented file (words separated by spaces, no tags)."""
    with open(path, encoding="utf-8") as fh:
        return list(sentences([(w, None) for w in line.split()] for line in fh if line.strip()))


def generate(sents: Sequence[list[Token]], opts: GeneratorOptions, source: str = "corpus",
             never: Iterable[str] = (), max_passages: int | None = None
             ) -> tuple[list[ClozeItem], dict]:
    """Items and counts (passages, candidate-less query sentences) from consecutive sentences.
    ``never``: words that are never answers (see :func:`non_answer_words`); the reader never
    picks them, so an item blanking one would teach it nothing. ``max_passages``: a seeded
    sample of the passages, when there are more."""
    freq = Counter(w for s in sents for w, _ in s)
    n = opts.passage_sentences
    starts = range(0, len(sents) - n + 1, opts.passage_stride or n)
    if max_passages is not None and len(starts) > max_passages:
        pick = np.random.default_rng(opts.seed).choice(len(starts), max_passages, replace=False)
        starts = [starts[i] for i in sorted(pick.tolist())]
    passages = [sents[i:i + n] for i in starts]
    return generate_passages(passages, opts, source, never, freq)


def generate_passages(passages: Sequence[Sequence[list[Token]]], opts: GeneratorOptions,
                      source: str = "corpus", never: Iterable[str] = (),
                      freq: Counter | None = None) -> tuple[list[ClozeItem], dict]:
    """Items from passages already cut (stories, say): up to ``items_per_passage`` each, drawn
    as :func:`generate` draws them. ``freq``: the word counts that rank the function words of
    untagged text (default: those of the passages)."""
    never = frozenset(never)
    rng = np.random.default_rng(opts.seed)
    if freq is None:
        freq = Counter(w for p in passages for s in p for w, _ in s)
    stop = {w for w, _ in freq.most_common(opts.skip_top_words)}
    tags = set(opts.answer_tags)

    def candidate(word: str, tag: str | None) -> bool:
        if len(word) < opts.min_answer_chars or word in never \
                or not all(is_han(c) for c in word):
            return False
        return tag in tags if tag is not None else word not in stop

    items: list[ClozeItem] = []
    no_candidate = 0
    for p_i, passage in enumerate(passages):
        words = [[w for w, _ in s] for s in passage]
        counts = Counter(w for s in words for w in s)
        order = rng.permutation(len(passage))
        made = 0
        for q in order:
            if made >= opts.items_per_passage:
                break
            in_query = Counter(words[q])
            cands = [j for j, (w, t) in enumerate(passage[q])
                     if in_query[w] == 1 and counts[w] > 1 and candidate(w, t)]
            if not cands:
                no_candidate += 1
                continue
            j = int(rng.choice(cands))
            answer = words[q][j]
            query = words[q][:j] + [BLANK] + words[q][j + 1:]
            blanked = [s if k != q else query for k, s in enumerate(words)]
            items.append(ClozeItem(f"<qid_{source}_{len(items)}>", blanked, query, answer,
                                   {"passage": p_i}))
            made += 1
    return items, {"passages": len(passages), "query_sentences_without_candidate": no_candidate}


def non_answer_words(sents: Sequence[list[Token]], answer_tags: Sequence[str],
                     min_count: int = 3) -> set[str]:
    """Words seen at least ``min_count`` times and never with an answer tag (function words,
    verbs, adjectives...): the reader never considers them as answers. On the CMRC 2017
    validation set this leaves about 45 candidate words per passage instead of 150, and rules
    out the answer of 2% of the queries."""
    tags = set(answer_tags)
    total: Counter = Counter()
    tagged: Counter = Counter()
    for s in sents:
        for w, t in s:
            total[w] += 1
            if t in tags:
                tagged[w] += 1
    return {w for w, n in total.items() if n >= min_count and not tagged[w]}
