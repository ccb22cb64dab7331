"""Couplet quality measures over (upper, reference lower, generated lower) triples.

* ``bleu``: corpus BLEU-4 over characters (sacrebleu, no further tokenisation), 0-100;
* ``length_match``: share of outputs exactly as long as their upper line;
* ``punct_alignment``: share of outputs whose non-ideograph characters (punctuation, letters,
  digits) are exactly the upper line's, at the same positions;
* ``repetition_agreement``: share of outputs whose repetition pattern equals the upper line's
  (for every pair of positions i < j: upper[i] == upper[j] exactly when out[i] == out[j]);
* ``copy_rate``: share of generated ideographs that also occur in the upper line (a lower line
  that echoes its upper line is a poor answer; the reference lines' own rate is given beside).
"""

from __future__ import annotations

from collections.abc import Sequence

from zhpipe.couplet.data import is_ideograph


def bleu(refs: Sequence[str], hyps: Sequence[str]) -> float:
    from sacrebleu.metrics import BLEU

    def chars(s: str) -> str:
        return " ".join(s)

    return BLEU(tokenize="none").corpus_score([chars(h) for h in hyps],
                                              [[chars(r) for r in refs]]).score


def punct_aligned(upper: str, out: str) -> bool:
    if len(upper) != len(out):
        return False
    return all((u == o) if not is_ideograph(u) else is_ideograph(o)
               for u, o in zip(upper, out, strict=True))


def repetition_pattern(line: str) -> tuple[int, ...]:
    """Each position's first occurrence index: 晚风摇树树还挺 -> (0, 1, 2, 3, 3, 5, 6)."""
    first: dict[str, int] = {}
    return tuple(first.setdefault(ch, i) for i, ch in enumerate(line))


def copy_share(upper: str, out: str) -> tuple[int, int]:
    seen = set(upper)
    chars = [c for c in out if is_ideograph(c)]
    return sum(c in seen for c in chars), len(chars)


def couplet_scores(uppers: Sequence[str], refs: Sequence[str], hyps: Sequence[str]) -> dict:
    n = len(uppers)
    if not n:
        raise ValueError("no couplets to score")
    copied = [copy_share(u, h) for u, h in zip(uppers, hyps, strict=True)]
    ref_copied = [copy_share(u, r) for u, r in zip(uppers, refs, strict=True)]
    def rate(hits) -> float:
        return round(100 * sum(hits) / n, 2)

    return {
        "bleu": round(bleu(refs, hyps), 2),
        "length_match": rate(len(u) == len(h) for u, h in zip(uppers, hyps, strict=True)),
        "punct_alignment": rate(map(punct_aligned, uppers, hyps)),
        "repetition_agreement": rate(repetition_pattern(u) == repetition_pattern(h)
                                     for u, h in zip(uppers, hyps, strict=True)),
        "copy_rate": round(100 * sum(a for a, _ in copied) / max(sum(b for _, b in copied), 1), 2),
        "reference_copy_rate": round(100 * sum(a for a, _ in ref_copied)
                                     / max(sum(b for _, b in ref_copied), 1), 2),
        "reference_repetition_agreement": rate(repetition_pattern(u) == repetition_pattern(r)
                                               for u, r in zip(uppers, refs, strict=True)),
        "pairs": n,
    }
