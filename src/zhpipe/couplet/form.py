"""The couplet form score: how well a lower line (下联) answers its upper line (上联) by the rules a
reader judges a couplet by, one number per rule and their mean.

* ``length_punct``: the lines are equally long and their non-ideographs (punctuation, letters,
  digits) are the same characters at the same positions;
* ``tone_end``: the upper line ends on an oblique tone (仄) and the lower line on a level one (平),
  the rule every couplet keeps (仄起平收);
* ``tone_even``: tones opposed (one level, one oblique) at the positions that carry the rhythm:
  the even positions (2nd, 4th, 6th ...) and the last character of every clause, clauses being
  split at punctuation; positions whose tone is unknown on either side are left out;
* ``boundaries``: word boundaries that align: the share of the gaps between characters where
  both lines have a word boundary or neither has (jieba's segmentation of each line);
* ``pos``: parts of speech that pair: the share of the upper line's words whose span is also a
  word of the lower line with the same coarse part of speech (the first letter of jieba's tag:
  n noun, v verb, a adjective, d adverb, m numeral, ...);
* ``repetition``: the lower line repeats a character exactly where the upper line does;
* ``form``: the mean of the six.

Tones come from ``pypinyin``, each line read in context: modern tones 1 and 2 are level, 3 and 4
oblique, a neutral or unknown reading neither. This is the modern-tone approximation and it is
wrong for the Middle Chinese entering tone (入声): characters that ended in -p, -t, -k were
oblique in classical prosody, but many are tones 1 or 2 in Mandarin (一 yi1, 十 shi2, 国 guo2,
白 bai2, 竹 zhu2, 月 is yue4 and stays oblique), so they count here as level. Human lines
therefore score below 100%: the reference lower lines of the test set, scored the same way,
give the level to reach.

jieba (a modern-Chinese segmenter and tagger) reads classical and literary lines imperfectly;
both lines are read by the same tagger, so its errors fall on model and reference alike. The
project's own CRF segmenter is trained on modern news and would read them no better; jieba is
used because it tags parts of speech as well, and the score needs no other stage's output.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from zhpipe.corpus.text import is_han

LEVEL, OBLIQUE = "平", "仄"
PROPERTIES = ("length_punct", "tone_end", "tone_even", "boundaries", "pos", "repetition")


@lru_cache(maxsize=200_000)
def tones(line: str) -> str:
    """平 / 仄 / ? per character of ``line`` (read in context by pypinyin)."""
    from pypinyin import Style, lazy_pinyin

    out = []
    for syl in lazy_pinyin(line, style=Style.TONE3, neutral_tone_with_five=True,
                           errors=lambda s: ["?"] * len(s)):
        t = syl[-1:]
        out.append(LEVEL if t in ("1", "2") else OBLIQUE if t in ("3", "4") else "?")
    # pypinyin answers one syllable per ideograph and one "?" per other character it cannot
    # read; anything else (a run of letters read as one word) falls back to one per character
    return "".join(out) if len(out) == len(line) else "".join(
        tones(ch) if is_han(ch) else "?" for ch in line)


@dataclass(frozen=True)
class Line:
    """A line read once: its tones, its word boundaries (gap i: between characters i-1 and i)
    and its words as ``(start, end, coarse tag)``."""

    text: str
    tones: str
    boundaries: frozenset[int]
    words: tuple[tuple[int, int, str], ...]


def _tagger():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading notices are not a user's concern
    return jieba.posseg.dt


@lru_cache(maxsize=200_000)
def read(line: str) -> Line:
    words, boundaries, start = [], set(), 0
    for pair in _tagger().cut(line, HMM=True):
        end = start + len(pair.word)
        if start:
            boundaries.add(start)
        if all(is_han(c) for c in pair.word):
            words.append((start, end, pair.flag[:1]))
        start = end
    return Line(line, tones(line), frozenset(boundaries), tuple(words))


def _clause_positions(line: str) -> list[int]:
    """The even positions (1-based) and the last position of every run of ideographs."""
    out, run = [], []
    for i, ch in enumerate(line + "，"):
        if is_han(ch) and i < len(line):
            run.append(i)
            continue
        if run:
            out.extend(sorted({*run[1::2], run[-1]}))
        run = []
    return out


def _last_han(line: str) -> int | None:
    for i in range(len(line) - 1, -1, -1):
        if is_han(line[i]):
            return i
    return None


def _repetition(line: str) -> tuple[int, ...]:
    first: dict[str, int] = {}
    return tuple(first.setdefault(ch, i) for i, ch in enumerate(line))


def pair_form(upper: str, lower: str) -> dict[str, float]:
    """The six properties of one couplet, each 0 or 1 or a share in between (NaN where a
    property cannot be judged: no known tone on both sides), and ``form``, their mean."""
    nan = float("nan")
    same_shape = len(upper) == len(lower)
    out = {"length_punct": float(same_shape and all(
        (u == lo) if not is_han(u) else is_han(lo) for u, lo in zip(upper, lower, strict=False)))}
    if not same_shape:  # nothing lines up: every positional property fails
        out.update(tone_end=0.0, tone_even=0.0, boundaries=0.0, pos=0.0, repetition=0.0)
        out["form"] = 0.0
        return out
    u, lo = read(upper), read(lower)
    end = _last_han(upper)
    if end is None:
        out["tone_end"] = nan
    else:
        out["tone_end"] = float(u.tones[end] == OBLIQUE and lo.tones[end] == LEVEL)
    judged = [(u.tones[i], lo.tones[i]) for i in _clause_positions(upper)
              if u.tones[i] != "?" and lo.tones[i] != "?"]
    out["tone_even"] = (sum(a != b for a, b in judged) / len(judged)) if judged else nan
    gaps = len(upper) - 1
    out["boundaries"] = (1.0 if gaps <= 0 else
                         1.0 - len(u.boundaries ^ lo.boundaries) / gaps)
    spans = {(s, e): tag for s, e, tag in lo.words}
    out["pos"] = (sum(spans.get((s, e)) == tag for s, e, tag in u.words) / len(u.words)
                  if u.words else nan)
    out["repetition"] = float(_repetition(upper) == _repetition(lower))
    values = [v for k, v in out.items() if k in PROPERTIES and v == v]
    out["form"] = sum(values) / len(values)
    return out


def form_table(uppers: Sequence[str], lowers: Sequence[str]) -> np.ndarray:
    """``(N, 7)`` array: the properties of :data:`PROPERTIES` and ``form`` per couplet."""
    keys = (*PROPERTIES, "form")
    return np.array([[f[k] for k in keys] for f in map(pair_form, uppers, lowers)],
                    np.float64).reshape(-1, len(keys))


def form_scores(uppers: Sequence[str], lowers: Sequence[str]) -> dict[str, float]:
    """Each property's mean over the couplets, in %, ``form`` (the mean of the means' per-pair
    combination) and the number of pairs."""
    table = form_table(uppers, lowers)
    keys = (*PROPERTIES, "form")
    out = {}
    for j, key in enumerate(keys):
        col = table[:, j]
        col = col[~np.isnan(col)]
        out[f"form_{key}" if key != "form" else "form"] = (
            round(100 * float(col.mean()), 2) if col.size else None)
    return out
