"""Preparing the segmented corpora: People's Daily 1998 (train/dev split in blocks, POS and
names) and the SIGHAN 2005 bakeoff (test text, gold, official OOV marks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from zhpipe.corpus.options import NoOptions, Pd1998Options
from zhpipe.corpus.output import write_corpus
from zhpipe.corpus.text import (
    CorpusError,
    clean_raw,
    clean_segmented,
    normalise,
    read_lines,
    split_long,
)


def parse_pd1998_line(line: str, where: str) -> list[tuple[str, str]]:
    """``迈向/v  充满/v`` -> ``[("迈向", "v"), ("充满", "v")]``, words normalised."""
    out = []
    for tok in line.split():
        word, sep, tag = tok.rpartition("/")
        if not sep or not word or not tag:
            raise CorpusError(f"{where}: token {tok!r} is not word/TAG")
        word = normalise(word)
        if word.strip() != word or not word:
            raise CorpusError(f"{where}: token {tok!r} has a space inside the word")
        out.append((word, tag))
    return out


def dev_mask(n: int, fraction: float, seed: int, block: int) -> np.ndarray:
    """Boolean mask of dev sentences: whole blocks of ``block`` consecutive sentences, chosen by a
    seeded generator, so that neighbouring sentences of one article rarely straddle the split."""
    blocks = (n + block - 1) // block
    k = int(round(fraction * blocks))
    chosen = np.zeros(blocks, dtype=bool)
    chosen[np.random.default_rng(seed).choice(blocks, size=k, replace=False)] = True
    return np.repeat(chosen, block)[:n]


def prepare_pd1998(raw: Path, out: Path, opts: Pd1998Options, max_chars: int) -> list[dict]:
    src = raw / "199801.txt"
    sentences: list[list[tuple[str, str]]] = []
    for no, line in read_lines(src, keep_empty=False):
        toks = parse_pd1998_line(line, f"{src}:{no}")
        seg = " ".join(w for w, _ in toks)
        start = 0
        for piece in split_long(seg, max_chars, segmented=True):
            n = piece.count(" ") + 1
            sentences.append(toks[start:start + n])
            start += n
    mask = dev_mask(len(sentences), opts.dev_fraction, opts.seed, opts.block_size)
    rows = []
    for split, keep in (("train", ~mask), ("dev", mask)):
        part = [s for s, k in zip(sentences, keep, strict=True) if k]
        if not part:
            continue
        rows.append(write_corpus(out, "pd1998", f"{split}.seg.txt", "seg",
                                 (" ".join(w for w, _ in s) for s in part)))
        rows.append(write_corpus(out, "pd1998", f"{split}.pos.txt", "pos",
                                 (" ".join(f"{w}/{t}" for w, t in s) for s in part)))
    rows.append(write_corpus(out, "pd1998", "raw.txt", "raw",
                             ("".join(w for w, _ in s) for s in sentences)))
    return rows


def _test_lines(path: Path, clean: Callable[[str], str], max_chars: int) -> list[str]:
    lines = []
    for no, line in read_lines(path):
        text = clean(line)
        if len(text.replace(" ", "")) > max_chars * 50:
            raise CorpusError(f"{path}:{no}: line of {len(text)} characters is absurdly long for a "
                              "test set; check the file")
        lines.append(text)
    while lines and not lines[-1]:
        lines.pop()  # a trailing empty line (PKU test has one) is not a sentence
    return lines


def _official_oov(gold: Path, words: Path, prepared: list[str]) -> list[str]:
    """One line per prepared gold line, one ``1``/``0`` per word: is the word out of vocabulary
    as the bakeoff's scorer counts it, i.e. is the *unnormalised* gold word absent from the
    unnormalised official training word list? (Normalisation turns the test set's ASCII digits
    into the training list's full-width ones, so it would hide 2.3 points of the published 5.8%
    PKU OOV rate, all of them easy number words.)"""
    vocab = {line.strip() for _, line in read_lines(words, keep_empty=False)}
    raw_words = [w for _, line in read_lines(gold) for w in line.split()]
    flags = iter([w not in vocab for w in raw_words])
    n_prepared = sum(len(line.split()) for line in prepared)
    if n_prepared != len(raw_words):
        raise CorpusError(f"{gold}: {len(raw_words)} words, but {n_prepared} after preparation; "
                          "cannot mark the official OOV words")
    return [" ".join("1" if next(flags) else "0" for _ in line.split()) for line in prepared]


def prepare_sighan2005(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    rows = []
    for std in ("pku", "msr"):
        test, gold = raw / f"{std}_test.utf8", raw / f"{std}_test_gold.utf8"
        if not test.exists():
            continue
        t = _test_lines(test, clean_raw, max_chars)
        g = _test_lines(gold, clean_segmented, max_chars)
        if "".join(t) != "".join(g).replace(" ", ""):
            raise CorpusError(f"{test} and {gold}: the test text differs from the gold text with "
                              "spaces removed; the pair is inconsistent")
        rows.append(write_corpus(out, "sighan2005", f"{std}_test.raw.txt", "raw", t))
        rows.append(write_corpus(out, "sighan2005", f"{std}_test.gold.txt", "gold", g))
        words = raw / f"{std}_training_words.utf8"
        if words.exists():
            rows.append(write_corpus(out, "sighan2005", f"{std}_training_words.txt", "seg",
                                     (w for _, line in read_lines(words, keep_empty=False)
                                      if (w := clean_raw(line)))))
            rows.append(write_corpus(out, "sighan2005", f"{std}_test.oov.txt", "mask",
                                     _official_oov(gold, words, g)))
        train = raw / f"{std}_training.utf8"
        if train.exists():
            rows.append(write_corpus(out, "sighan2005", f"{std}_training.seg.txt", "seg",
                                     (p for _, line in read_lines(train, keep_empty=False)
                                      for p in split_long(clean_segmented(line), max_chars, True)
                                      if p)))
    if not rows:
        raise CorpusError(f"{raw}: no SIGHAN 2005 test files found")
    return rows
