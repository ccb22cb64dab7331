"""Character ROUGE of generated headlines: Google's ``rouge-score`` with a character tokenizer.

Chinese headlines are scored character by character (as LCSTS and the Chinese summarisation
papers do): ``rouge-score``'s own tokenizer keeps only ``[a-z0-9]``, which would drop every Han
character. Whitespace is ignored; every other character is a token. F1 per pair, averaged over
pairs, times 100. Checked by hand on one pair (tests/unit/headlines/test_rouge.py): reference
李强参加云南代表团审议, output 李强参加代表团审议: ROUGE-1 F 0.900, ROUGE-2 0.778, ROUGE-L 0.900.
"""

from __future__ import annotations

from collections.abc import Sequence

from rouge_score import rouge_scorer

KINDS = ("rouge1", "rouge2", "rougeL")


class CharTokenizer:
    """What ``rouge_scorer.RougeScorer`` calls: text -> tokens (its characters, no spaces)."""

    def tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace()]


_SCORER = rouge_scorer.RougeScorer(list(KINDS), tokenizer=CharTokenizer())


def rouge(outputs: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean character ROUGE-1/2/L F1 (x100) of ``outputs`` against ``references``, pair by pair;
    keys ``rouge1``, ``rouge2``, ``rougeL``."""
    if len(outputs) != len(references):
        raise ValueError(f"{len(outputs)} outputs for {len(references)} references")
    if not references:
        raise ValueError("no pairs to score")
    totals = dict.fromkeys(KINDS, 0.0)
    for out, ref in zip(outputs, references, strict=True):
        scores = _SCORER.score(ref, out)  # (target, prediction)
        for k in KINDS:
            totals[k] += scores[k].fmeasure
    return {k: round(100 * v / len(references), 2) for k, v in totals.items()}
