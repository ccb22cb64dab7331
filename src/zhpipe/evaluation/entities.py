"""Entity-level precision, recall and F1 (CoNLL convention: an entity counts only when its type
and both boundaries match exactly). seqeval computes the same, but its source distribution does
not build with current setuptools, so the few lines live here, tested on hand-made cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def bio_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) spans of a BIO sequence (an I- without B- starts an entity)."""
    out, start, typ = [], None, None
    for i, t in enumerate(list(tags) + ["O"]):
        if t.startswith("I-") and typ == t[2:]:
            continue
        if typ is not None:
            out.append((typ, start, i))
            typ = None
        if t != "O" and i < len(tags):
            typ, start = t[2:], i
    return out


def entity_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Micro P/R/F1 over all entities, and per type."""
    tp, n_gold, n_pred = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred, strict=True):
        ge, pe = set(bio_entities(g)), set(bio_entities(p))
        for typ, *_ in ge:
            n_gold[typ] += 1
        for typ, *_ in pe:
            n_pred[typ] += 1
        for typ, *_ in ge & pe:
            tp[typ] += 1

    def prf(t, g, p):
        prec = t / p if p else 0.0
        rec = t / g if g else 0.0
        return {"precision": prec, "recall": rec,
                "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "support": g}

    out = prf(sum(tp.values()), sum(n_gold.values()), sum(n_pred.values()))
    out["types"] = {t: prf(tp[t], n_gold[t], n_pred[t]) for t in sorted(n_gold | n_pred)}
    return out
