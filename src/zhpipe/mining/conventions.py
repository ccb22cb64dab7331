"""Segmentation conventions of one benchmark, kept apart from what the text itself says.

Unsupervised mining finds the units the corpus holds together; the benchmarks' gold standards
add conventions that no statistic can recover. They are optional here, off in every headline
number, and scored on their own (``mine_words`` metrics ``conventions``):

* ``numeral_classifier``: a number written in Chinese numerals and the classifier after it are
  two words (一 年, 三 个, 两 国), as the PKU standard and the 1998 corpus write them; MSR
  writes many of them as one word. Which characters are classifiers is learnt from the mined
  lexicon, not listed by hand: a character that ends words after at least ``min_numerals``
  different numeral strings (一个, 三个, 几个, 十几个 ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Characters of numbers written in Chinese (and 几/数/半/多-style approximations).
NUMERALS = frozenset("〇零一二三四五六七八九十两百千万亿几半数")
CONVENTIONS = ("numeral_classifier",)


def _numeral_prefix(word: str) -> bool:
    return len(word) >= 2 and word[-1] not in NUMERALS and all(c in NUMERALS for c in word[:-1])


def classifiers(words: Iterable[str], min_numerals: int = 4) -> frozenset[str]:
    """Characters that end words after at least ``min_numerals`` distinct numeral strings."""
    seen: dict[str, set[str]] = {}
    for w in words:
        if _numeral_prefix(w):
            seen.setdefault(w[-1], set()).add(w[:-1])
    return frozenset(c for c, nums in seen.items() if len(nums) >= min_numerals)


def split_numeral_classifier(lines: Iterable[Sequence[str]], classes: frozenset[str]
                             ) -> list[list[str]]:
    """Split every word that is a numeral string followed by a classifier into the two."""
    out = []
    for words in lines:
        line = []
        for w in words:
            if w[-1:] in classes and _numeral_prefix(w):
                line += [w[:-1], w[-1]]
            else:
                line.append(w)
        out.append(line)
    return out


def with_conventions(segment, lexicon_words: Iterable[str], conventions: Sequence[str]):
    """Wrap ``segment`` (raw lines -> word lists) so that it applies ``conventions``."""
    unknown = sorted(set(conventions) - set(CONVENTIONS))
    if unknown:
        raise ValueError(f"unknown segmentation convention(s) {', '.join(unknown)}; "
                         f"known: {', '.join(CONVENTIONS)}")
    if "numeral_classifier" not in conventions:
        return segment
    classes = classifiers(lexicon_words)

    def convert(lines):
        return split_numeral_classifier(segment(lines), classes)

    return convert
