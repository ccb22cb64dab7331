"""One couplet experiment: both models trained on the same pairs and scored on the test set.

Used by the ``train_couplet`` stage and by ``bench/couplet_full.py`` (which can also train on
one machine, a GPU, and score the saved models on another)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from zhpipe.callbacks import Callback, named
from zhpipe.corpus.text import CorpusError
from zhpipe.couplet.baselines import floors
from zhpipe.couplet.data import CharVocab, read_pairs
from zhpipe.couplet.metrics import fair_scores, reference_form
from zhpipe.couplet.params import CoupletParams
from zhpipe.couplet.train import Couplet, train_couplet
from zhpipe.fsutil import write_json, write_lines

#: Test pairs recorded with every model's output in the metrics (the report shows
#: ``report.couplet_examples`` of them).
EXAMPLES = 50


@dataclass
class Split:
    """The training pairs, the dev slice held out of them, the test pairs and the vocabulary;
    ``known``: every usable pair of the training file (dev slice included, whatever
    ``max_train_pairs`` keeps): the floors learn from it, and a test upper line found in it is
    ``seen``."""

    train: list[tuple[str, str]]
    dev: list[tuple[str, str]]
    test: list[tuple[str, str]]
    vocab: CharVocab
    skipped: int
    known: list[tuple[str, str]]

    @cached_property
    def seen(self) -> list[bool]:
        uppers = {u for u, _ in self.known}
        return [u in uppers for u in self.uppers]

    @cached_property
    def uppers(self) -> list[str]:
        return [u for u, _ in self.test]

    @cached_property
    def refs(self) -> list[str]:
        return [low for _, low in self.test]


def split_pairs(p: CoupletParams, couplet: Path) -> Split:
    """Read ``couplet/train.tsv`` and ``test.tsv``; the dev slice (early stopping) comes from
    the training data, never from the test set."""
    pairs, skipped = read_pairs(couplet / "train.tsv")
    test, test_skipped = read_pairs(couplet / "test.tsv", p.test_pairs)
    if len(pairs) <= p.dev_pairs:
        raise CorpusError(f"{couplet / 'train.tsv'}: {len(pairs)} usable pairs, not more "
                          f"than train_couplet.dev_pairs={p.dev_pairs}; lower dev_pairs")
    if not test:
        raise CorpusError(f"{couplet / 'test.tsv'}: no usable pairs")
    order = np.random.default_rng(p.seed).permutation(len(pairs))
    dev = [pairs[i] for i in order[: p.dev_pairs]]
    train = [pairs[i] for i in order[p.dev_pairs:]]
    if p.max_train_pairs:
        train = train[: p.max_train_pairs]
    vocab = CharVocab.build((line for pair in train for line in pair), p.min_count)
    return Split(train, dev, test, vocab, skipped + test_skipped, pairs)


def train_kind(p: CoupletParams, kind: str, split: Split, max_seconds: float | None = None,
               callbacks: Sequence[Callback] = ()) -> tuple[Couplet, dict]:
    """Train one model with the params' settings on ``split``; ``callbacks`` see its epochs
    as the curve ``kind``."""
    return train_couplet(
        kind, split.train, split.dev, split.vocab, dim=p.dim, dilations=p.dilations,
        dropout=p.dropout, heads=p.heads, tokens_per_batch=p.tokens_per_batch,
        learning_rate=p.learning_rate, epochs=p.epochs, patience=p.patience, seed=p.seed,
        max_len=p.max_len, distinct=p.distinct, no_copy=p.no_copy, max_seconds=max_seconds,
        layers=p.layers, label_smoothing=p.label_smoothing, form_weight=p.form_weight,
        callbacks=named(kind, callbacks))


def score_model(model: Couplet, split: Split, beam: int) -> tuple[list[str], dict]:
    """The model's lower lines for the test pairs, and their scores with decoding speed."""
    beam = beam if model.kind != "tagger" else 1  # the tagger's positions are independent
    uppers = split.uppers
    model.generate(uppers[:64], beam)  # warm up
    t0 = time.perf_counter()
    hyps = model.generate(uppers, beam)
    gen_seconds = time.perf_counter() - t0
    # latency as a user of `zhpipe couplet` sees it: one line at a time
    t0 = time.perf_counter()
    for u in uppers[:20]:
        model.generate([u], beam)
    latency = (time.perf_counter() - t0) / 20
    return hyps, {**fair_scores(uppers, split.refs, hyps, split.seen), "decode_beam": beam,
                  "form_weight": model.form_weight if beam > 1 else 0.0,
                  "test_pairs_per_sec": round(len(uppers) / gen_seconds, 1),
                  "latency_ms_beam": round(latency * 1000, 1)}


def base_metrics(p: CoupletParams, split: Split) -> dict:
    """Sizes of the split, the test set's parts (upper lines seen in the training file or
    novel), the human reference lines' form scores, and the trivial floors (see
    zhpipe.couplet.baselines) learnt from every training pair and scored on each part."""
    seen = split.seen
    return {"train_pairs": len(split.train), "dev_pairs": len(split.dev),
            "test_pairs": len(split.test), "skipped_unequal_length": split.skipped,
            "vocab": len(split.vocab), "beam": p.beam, "floor_pairs": len(split.known),
            "parts": {"seen": sum(seen), "novel": len(seen) - sum(seen)},
            "reference": reference_form(split.uppers, split.refs, seen),
            "floors": {name: fair_scores(split.uppers, split.refs, hyps, seen)
                       for name, hyps in floors(split.known, split.uppers).items()}}


def examples(split: Split, outputs: dict[str, list[str]]) -> list[dict]:
    return [{"upper": u, "reference": r, **{kind: hyps[i] for kind, hyps in outputs.items()}}
            for i, (u, r) in enumerate(zip(split.uppers[:EXAMPLES], split.refs[:EXAMPLES],
                                           strict=True))]


def run_experiment(p: CoupletParams, couplet: Path, out: Path | None = None,
                   kinds: Sequence[str] | None = None, callbacks: Sequence[Callback] = ()
                   ) -> dict:
    """Train ``kinds`` (default: the params' ``models``) on ``couplet/train.tsv`` (dev slice
    held out), score on ``test.tsv``; models and test outputs go to ``out`` when given.
    Returns the metrics."""
    split = split_pairs(p, couplet)
    metrics = base_metrics(p, split)
    outputs = {}
    for kind in kinds or p.models:
        model, info = train_kind(p, kind, split, callbacks=callbacks)
        if out is not None:
            model.save(out)
        outputs[kind], scores = score_model(model, split, p.beam)
        if out is not None:
            write_lines(out / f"{kind}.test.txt", outputs[kind])
        metrics[kind] = {**scores, **info}
    metrics["examples"] = examples(split, outputs)
    # the model `zhpipe couplet` uses by default: the lowest dev loss (never a test score)
    metrics["best"] = min(outputs, key=lambda k: metrics[k]["best_dev_loss"])
    if out is not None:  # the numbers beside the models (the stage's metrics, less examples)
        write_json(out / "summary.json", {k: v for k, v in metrics.items() if k != "examples"})
        write_json(out / "best.json", {"kind": metrics["best"],
                                       "by": "lowest dev loss (cross-entropy a character)"})
    return metrics
