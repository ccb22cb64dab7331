"""Couplet quality measures over (upper, reference lower, generated lower) triples.

* ``bleu``: corpus BLEU-4 over characters (sacrebleu, no further tokenisation), 0-100; also
  corpus BLEU-1 and BLEU-2 and the average sentence BLEU-4 with nltk's smoothing method 2
  (``sentence_bleu``), so that a reader can place the number next to published ones, whose
  BLEU variant is often unstated (the same output scores 0.87, 5.4, 16.2 and 10.4 under those
  four);
* ``length_match``: share of outputs exactly as long as their upper line;
* ``punct_alignment``: share of outputs whose non-ideograph characters (punctuation, letters,
  digits) are exactly the upper line's, at the same positions;
* ``repetition_agreement``: share of outputs whose repetition pattern equals the upper line's
  (for every pair of positions i < j: upper[i] == upper[j] exactly when out[i] == out[j]);
* ``copy_rate``: share of generated ideographs that also occur in the upper line (a lower line
  that echoes its upper line is a poor answer; the reference lines' own rate is given beside);
* ``form`` and ``form_*``: the couplet form score (:mod:`zhpipe.couplet.form`).

:func:`fair_scores` gives all of them on the whole test set and on its two parts: the upper
lines that also occur in the training pairs (``seen``: a model can have memorised an answer)
and the others (``novel``).
"""

from __future__ import annotations

from collections.abc import Sequence

from zhpipe.corpus.text import is_han
from zhpipe.couplet.form import form_scores


def bleu(refs: Sequence[str], hyps: Sequence[str], order: int = 4) -> float:
    from sacrebleu.metrics import BLEU

    def chars(s: str) -> str:
        return " ".join(s)

    return BLEU(tokenize="none", max_ngram_order=order).corpus_score(
        [chars(h) for h in hyps], [[chars(r) for r in refs]]).score


def sentence_bleu(refs: Sequence[str], hyps: Sequence[str], order: int = 4) -> float:
    """Mean over the pairs of sentence BLEU-``order`` over characters, 0-100, as nltk's
    ``sentence_bleu`` with ``SmoothingFunction().method2`` computes it: clipped n-gram
    precisions, 1 added to the numerator and denominator of every order above 1, 0 when no
    character matches, the brevity penalty of the reference's length."""
    import math
    from collections import Counter

    total = 0.0
    for ref, hyp in zip(refs, hyps, strict=True):
        logs = []
        for n in range(1, order + 1):
            h = Counter(hyp[i:i + n] for i in range(len(hyp) - n + 1))
            r = Counter(ref[i:i + n] for i in range(len(ref) - n + 1))
            match, count = sum((h & r).values()), max(1, sum(h.values()))
            if n == 1 and match == 0:
                logs = None
                break
            logs.append(math.log((match + (n > 1)) / (count + (n > 1))))
        if logs is None or not hyp:
            continue
        bp = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
        total += bp * math.exp(sum(logs) / order)
    return 100 * total / max(len(refs), 1)


def punct_aligned(upper: str, out: str) -> bool:
    if len(upper) != len(out):
        return False
    return all((u == o) if not is_han(u) else is_han(o)
               for u, o in zip(upper, out, strict=True))


def repetition_pattern(line: str) -> tuple[int, ...]:
    """Each position's first occurrence index: 晚风摇树树还挺 -> (0, 1, 2, 3, 3, 5, 6)."""
    first: dict[str, int] = {}
    return tuple(first.setdefault(ch, i) for i, ch in enumerate(line))


def copy_share(upper: str, out: str) -> tuple[int, int]:
    seen = set(upper)
    chars = [c for c in out if is_han(c)]
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
        "bleu_1": round(bleu(refs, hyps, 1), 2),
        "bleu_2": round(bleu(refs, hyps, 2), 2),
        "sentence_bleu_4": round(sentence_bleu(refs, hyps), 2),
        "exact_match": rate(h == r for h, r in zip(hyps, refs, strict=True)),
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
        **form_scores(uppers, hyps),
    }


PARTS = ("seen", "novel")


def fair_scores(uppers: Sequence[str], refs: Sequence[str], hyps: Sequence[str],
                seen: Sequence[bool]) -> dict:
    """:func:`couplet_scores` on all pairs, and under ``seen`` / ``novel`` on the pairs whose
    upper line ``seen`` marks as occurring in training or not (a part with no pairs is left
    out)."""
    out = couplet_scores(uppers, refs, hyps)
    for part, want in zip(PARTS, (True, False), strict=True):
        idx = [i for i, s in enumerate(seen) if bool(s) == want]
        if idx:
            out[part] = couplet_scores([uppers[i] for i in idx], [refs[i] for i in idx],
                                       [hyps[i] for i in idx])
    return out


def reference_form(uppers: Sequence[str], refs: Sequence[str], seen: Sequence[bool]) -> dict:
    """The human reference lines' form scores: the level a model should reach."""
    out = {"pairs": len(uppers), **form_scores(uppers, refs)}
    for part, want in zip(PARTS, (True, False), strict=True):
        idx = [i for i, s in enumerate(seen) if bool(s) == want]
        if idx:
            out[part] = {"pairs": len(idx), **form_scores([uppers[i] for i in idx],
                                                          [refs[i] for i in idx])}
    return out
