"""Reading and writing lexicons (``lexicon.tsv``) and the jieba dictionary check."""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

from zhpipe.corpus.text import CorpusError, read_lines
from zhpipe.fsutil import atomic_write
from zhpipe.mining.discover import Lexicon
from zhpipe.mining.ngrams import DIGITS, LATIN

COLUMNS = ["word", "count", "probability", "cohesion", "left_entropy", "right_entropy", "in_jieba"]
_SHOW = {DIGITS: "<NUM>", LATIN: "<LATIN>"}
_READ = {v: k for k, v in _SHOW.items()}


def show(word: str) -> str:
    """A lexicon word for people: number and Latin units as <NUM> and <LATIN>."""
    for unit, name in _SHOW.items():
        word = word.replace(unit, name)
    return word


def unshow(word: str) -> str:
    for name, unit in _READ.items():
        word = word.replace(name, unit)
    return word


@lru_cache(maxsize=1)
def jieba_words() -> frozenset[str]:
    """The words of jieba's dictionary (jieba/dict.txt, shipped with the package)."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0] for line in fh)


def write_lexicon(lex: Lexicon, path: str | os.PathLike) -> None:
    jw = jieba_words()
    probs = lex.probabilities

    def fmt(x: float) -> str:
        return "" if math.isnan(x) else f"{x:.4f}"

    with atomic_write(path) as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for i, w in enumerate(lex.words):
            fh.write("\t".join([show(w), f"{lex.counts[i]:g}", f"{probs[i]:.6g}",
                                fmt(lex.cohesion[i]), fmt(lex.left_entropy[i]),
                                fmt(lex.right_entropy[i]), "yes" if w in jw else "new"]) + "\n")


def read_lexicon_counts(path: str | os.PathLike) -> dict[str, float]:
    """``word -> count`` from a lexicon.tsv, or from a user lexicon of ``word[<TAB|space>count]``
    lines (a missing count is 1). Malformed lines raise CorpusError naming the line."""
    counts: dict[str, float] = {}
    for no, line in read_lines(path, keep_empty=False):
        if no == 1 and line.startswith("word\t"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        word = unshow(parts[0].strip())
        try:
            c = float(parts[1]) if len(parts) > 1 and parts[1] else 1.0
        except ValueError:
            raise CorpusError(f"{path}:{no}: the count {parts[1]!r} is not a number") from None
        if not word or any(ch.isspace() for ch in word) or not 0 < c < math.inf:
            raise CorpusError(f"{path}:{no}: expected 'word<TAB>count' with a positive, finite "
                              f"count, got {line!r}")
        counts[word] = counts.get(word, 0.0) + c
    if not counts:
        raise CorpusError(f"{path}: no words (only a header or empty lines); give a lexicon of "
                          "'word<TAB>count' lines, e.g. one `zhpipe mine` wrote")
    if not math.isfinite(sum(counts.values())):
        raise CorpusError(f"{path}: the counts add up to more than a float holds; scale them down")
    return counts
