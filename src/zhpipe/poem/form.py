"""Rules of the form, for couplets of five- or seven-character lines written ``上句，下句。``.

Tones are the couplet form score's (:func:`zhpipe.couplet.form.tones`, pypinyin reading each
line in context): modern tones 1 and 2 count as level (平), 3 and 4 as oblique (仄); a neutral or
unknown reading counts as neither. This is the modern-tone approximation, and it is wrong for the
Middle Chinese entering tone (入声): characters that ended in -p, -t, -k were oblique in Tang
prosody, but many are tones 1 or 2 in Mandarin (宅 zhai2, 白 bai2, 国 guo2, 一 yi1, 十 shi2), so
they count here as level. Genuine Tang lines therefore score below 100% (the training lines are
the ceiling, measured the same way).

Every couplet is also scored by the couplet form score (``form`` and ``form_*``: the second line
as the answer to the first) and by how many of its lines repeat a character within the line
(``lines_repeating``: about 2% of Tang regulated verse does).

Tone-pattern agreement scores the positions that regulated verse fixes (the even positions and
the last one; ``一三五不论``: positions 1, 3 (and 5 of seven) are free) against the four legal
couplet patterns of regulated verse (平起/仄起, first line rhymed or not), keeping the best;
``conforming`` is the share of couplets that match one pattern at every fixed position.

Rhyme uses the thirteen rhyme tracks (十三辙) of the characters' finals, a modern grouping: a
couplet rhymes when its two lines end in the same track (``rhyme_rate``). In regulated verse the
second line always carries the rhyme and ends level; the first line rhymes only in a poem's first
couplet (首句入韵), so genuine couplets rarely rhyme within themselves, five-character ones least:
the training lines give the ceiling. ``rhyme_scheme`` checks the rule itself: the second line ends
level, and the first line either ends oblique or rhymes with the second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pypinyin import Style, lazy_pinyin

from zhpipe.corpus.text import HAN_CHARS
from zhpipe.couplet.form import LEVEL, OBLIQUE, form_scores, tones

__all__ = ["LEVEL", "OBLIQUE", "tones"]

# The four line patterns of five-character regulated verse; seven prefixes the opposite pair.
_A, _B, _C, _D = "仄仄平平仄", "平平仄仄平", "平平平仄仄", "仄仄仄平平"
_COUPLETS5 = [(_A, _B), (_C, _D), (_D, _B), (_B, _D)]  # 仄起, 平起, and the two rhymed openings


def _seven(line: str) -> str:
    return ("平平" if line[0] == "仄" else "仄仄") + line


PATTERNS = {5: _COUPLETS5, 7: [(_seven(a), _seven(b)) for a, b in _COUPLETS5]}
FREE = {5: {0, 2}, 7: {0, 2, 4}}  # 一三五不论 (0-based), the last position always fixed

# 十三辙: final (pypinyin strict style, ü as v) -> rhyme track
_TRACKS = {
    "发花": "a ia ua", "梭波": "o uo e io", "乜斜": "ie ve", "一七": "i v er",
    "姑苏": "u", "怀来": "ai uai", "灰堆": "ei uei", "遥条": "ao iao", "油求": "ou iou",
    "言前": "an ian uan van", "人辰": "en in uen vn", "江阳": "ang iang uang",
    "中东": "eng ing ueng ong iong",
}
TRACK_OF = {final: track for track, finals in _TRACKS.items() for final in finals.split()}
COUPLET = {n: re.compile(f"^[{HAN_CHARS}]{{{n}}}，[{HAN_CHARS}]{{{n}}}。$") for n in (5, 7)}


def pattern_codes(chars: int) -> np.ndarray:
    """The legal couplet patterns as ``(4, 2 * chars)`` codes: 1 level, 2 oblique, 0 at the
    free positions (一三五不论)."""
    code = {LEVEL: 1, OBLIQUE: 2}
    rows = []
    for a, b in PATTERNS[chars]:
        rows.append([0 if i % chars in FREE[chars] else code[ch]
                     for i, ch in enumerate(a + b)])
    return np.array(rows, np.int8)


@lru_cache(maxsize=200_000)
def rhyme_track(char: str) -> str | None:
    final = lazy_pinyin(char, style=Style.FINALS, strict=True, errors=lambda s: [""])[0]
    return TRACK_OF.get(final)


def split_couplet(text: str, chars: int) -> tuple[str, str] | None:
    """The two lines of a well-formed couplet (``上句，下句。``), else None."""
    if not COUPLET[chars].match(text):
        return None
    return text[:chars], text[chars + 1:2 * chars + 1]


def pattern_agreement(first: str, second: str) -> float:
    """Best share, over the legal couplet patterns, of fixed positions whose tone agrees
    (positions whose tone is unknown are left out)."""
    n = len(first)
    t = tones(first + second)
    fixed = [i for i in range(n) if i not in FREE[n]]
    best = 0.0
    for pa, pb in PATTERNS[n]:
        want = [(t[i], pa[i]) for i in fixed] + [(t[n + i], pb[i]) for i in fixed]
        known = [(g, w) for g, w in want if g != "?"]
        if known:
            best = max(best, sum(g == w for g, w in known) / len(known))
    return best


def rhymes(a: str, b: str) -> bool:
    """The last characters of lines ``a`` and ``b`` are in one rhyme track."""
    track = rhyme_track(a[-1])
    return track is not None and track == rhyme_track(b[-1])


def rhyme_scheme(a: str, b: str) -> bool:
    """The couplet keeps regulated verse's rhyme rule: ``b`` ends level, and ``a`` ends
    oblique or rhymes with ``b``."""
    return tones(b)[-1] == LEVEL and (tones(a)[-1] == OBLIQUE or rhymes(a, b))


def distinct(lines: Sequence[str], n: int) -> float:
    """Distinct-n: distinct character n-grams within lines over all n-grams (punctuation splits
    lines)."""
    grams = [ln[i:i + n] for text in lines for ln in re.split("[，。]", text)
             for i in range(len(ln) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def score(couplets: Sequence[str], chars: int, train_couplets: set[str],
          train_lines: set[str]) -> dict:
    """The form metrics of generated ``couplets`` (each ``上句，下句。``)."""
    parsed = [split_couplet(c, chars) for c in couplets]
    good = [p for p in parsed if p is not None]
    n = max(len(couplets), 1)
    agreement = [pattern_agreement(a, b) for a, b in good]
    lines = [x for p in good for x in p]
    m = len(good) or 1
    firsts, seconds = [a for a, _ in good], [b for _, b in good]
    return {
        "samples": len(couplets),
        "lines_repeating": round(sum(len(set(x)) < len(x) for x in lines) / max(len(lines), 1),
                                 4),
        "right_form": round(len(good) / n, 4),
        "tone_agreement": round(sum(agreement) / m, 4),
        "tone_conforming": round(sum(a == 1.0 for a in agreement) / m, 4),
        "rhyme_rate": round(sum(rhymes(a, b) for a, b in good) / m, 4),
        "level_ending": round(sum(tones(b)[-1] == LEVEL for _, b in good) / m, 4),
        "rhyme_scheme": round(sum(rhyme_scheme(a, b) for a, b in good) / m, 4),
        "distinct_1": round(distinct(couplets, 1), 4),
        "distinct_2": round(distinct(couplets, 2), 4),
        "novel_couplets": round(sum(c not in train_couplets for c in couplets) / n, 4),
        "novel_lines": round(sum(x not in train_lines for x in lines) / max(len(lines), 1), 4),
        **({k: None if v is None else round(v / 100, 4)
            for k, v in form_scores(firsts, seconds).items()} if good else {}),
    }
