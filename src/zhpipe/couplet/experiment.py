"""One couplet experiment: both models trained on the same pairs and scored on the test set.

Used by the ``train_couplet`` stage and by ``bench/seq2seq.py`` (several seeds)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from zhpipe.corpus.text import CorpusError
from zhpipe.couplet.baselines import floors
from zhpipe.couplet.data import CharVocab, read_pairs
from zhpipe.couplet.metrics import couplet_scores
from zhpipe.couplet.params import CoupletParams
from zhpipe.couplet.train import KINDS, train_couplet
from zhpipe.fsutil import write_lines

#: Test pairs recorded with every model's output in the metrics (the report shows
#: ``report.couplet_examples`` of them).
EXAMPLES = 50


def run_experiment(p: CoupletParams, couplet: Path, out: Path | None = None,
                   kinds: tuple[str, ...] = KINDS) -> dict:
    """Train ``kinds`` on ``couplet/train.tsv`` (dev slice held out), score on ``test.tsv``;
    models and test outputs go to ``out`` when given. Returns the metrics."""
    pairs, skipped = read_pairs(couplet / "train.tsv")
    test, test_skipped = read_pairs(couplet / "test.tsv", p.test_pairs)
    if len(pairs) <= p.dev_pairs:
        raise CorpusError(f"{couplet / 'train.tsv'}: {len(pairs)} usable pairs, not more "
                          f"than train_couplet.dev_pairs={p.dev_pairs}; lower dev_pairs")
    if not test:
        raise CorpusError(f"{couplet / 'test.tsv'}: no usable pairs")
    # the dev slice (early stopping) comes from the training data, never from the test set
    order = np.random.default_rng(p.seed).permutation(len(pairs))
    dev = [pairs[i] for i in order[: p.dev_pairs]]
    train = [pairs[i] for i in order[p.dev_pairs:]]
    if p.max_train_pairs:
        train = train[: p.max_train_pairs]
    vocab = CharVocab.build((line for pair in train for line in pair), p.min_count)

    uppers = [u for u, _ in test]
    refs = [low for _, low in test]
    metrics: dict = {"train_pairs": len(train), "dev_pairs": len(dev), "test_pairs": len(test),
                     "skipped_unequal_length": skipped + test_skipped, "vocab": len(vocab),
                     "beam": p.beam}
    # the trivial floors, from the same training pairs (see zhpipe.couplet.baselines)
    metrics["floors"] = {name: couplet_scores(uppers, refs, hyps)
                         for name, hyps in floors(train, uppers).items()}
    outputs = {}
    for kind in kinds:
        model, info = train_couplet(
            kind, train, dev, vocab, dim=p.dim, dilations=p.dilations, dropout=p.dropout,
            heads=p.heads, tokens_per_batch=p.tokens_per_batch, learning_rate=p.learning_rate,
            epochs=p.epochs, patience=p.patience, seed=p.seed, max_len=p.max_len,
            distinct=p.distinct, no_copy=p.no_copy)
        if out is not None:
            model.save(out)
        beam = p.beam if kind == "seq2seq" else 1  # the tagger's positions are independent
        model.generate(uppers[:64], beam)  # warm up
        t0 = time.perf_counter()
        hyps = model.generate(uppers, beam)
        gen_seconds = time.perf_counter() - t0
        # latency as a user of `zhpipe couplet` sees it: one line at a time
        t0 = time.perf_counter()
        for u in uppers[:20]:
            model.generate([u], p.beam)
        latency = (time.perf_counter() - t0) / 20
        outputs[kind] = hyps
        if out is not None:
            write_lines(out / f"{kind}.test.txt", hyps)
        metrics[kind] = {**couplet_scores(uppers, refs, hyps),
                         "decode_beam": beam,
                         "test_pairs_per_sec": round(len(uppers) / gen_seconds, 1),
                         "latency_ms_beam": round(latency * 1000, 1),
                         **{k: v for k, v in info.items()}}
    metrics["examples"] = [{"upper": u, "reference": r,
                            **{kind: outputs[kind][i] for kind in kinds}}
                           for i, (u, r) in enumerate(zip(uppers, refs, strict=True))][:EXAMPLES]
    return metrics
