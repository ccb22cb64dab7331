"""Stage ``train_seg`` as a function: the CRF segmenter, scored on SIGHAN 2005 PKU/MSR, and its
tags of the names tagger's training sentences, jackknifed (each from a segmenter that never saw
the sentence) so that they are as noisy as its tags of new text."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from zhpipe.callbacks import Callback, named
from zhpipe.evaluation.segmentation import read_oov_marks, score_segmentation
from zhpipe.fsutil import write_lines
from zhpipe.tagging.data import SEG_TAGS, bmes_to_words, segmentation_corpus, words_to_bmes
from zhpipe.tagging.features import TRAIN_TAGS, lexicon_features, model_kw, read_pos, settings
from zhpipe.tagging.params import SegParams
from zhpipe.tagging.tagger import Tagger, cross_tags, train_tagger


def run_segmenter(p: SegParams, pd1998: Path, sighan: Path, lexicon: Path, out: Path,
                  callbacks: Sequence[Callback] = ()) -> dict:
    """Train, save (``out/seg.*``), score; write the jackknifed tags (``out/TRAIN_TAGS``).
    ``callbacks`` see the segmenter's epochs as the curve ``seg`` (not the folds')."""
    lex, dict_info = lexicon_features(p, lexicon, names=False)
    kw = model_kw(p)
    train, dev = segmentation_corpus(p.seg_train, pd1998, sighan, p.max_train_sentences)
    train_vocab = {w for s in train for w in s}

    def dev_f1(tagger):
        tags = tagger.tag(["".join(s) for s in dev])
        pred = [bmes_to_words("".join(s), t) for s, t in zip(dev, tags, strict=True)]
        return score_segmentation(dev, pred).f1

    seg, info = train_tagger(["".join(s) for s in train], [words_to_bmes(s) for s in train],
                             SEG_TAGS, lex, dev_f1, epochs=p.epochs, patience=p.patience,
                             callbacks=named("seg", callbacks), label="seg", **kw)
    seg.save(out, "seg")
    metrics: dict = {**settings(p, dict_info), **score_sighan(seg, sighan, train_vocab)}
    metrics["seg"] = {**{k: v for k, v in info.items() if k != "history"},
                      "dev_f1": round(info["best_dev"] * 100, 2), "history": info["history"],
                      "train_sentences": len(train), "train_corpus": p.seg_train,
                      "dev_sentences": len(dev)}

    # the names tagger's training sentences, tagged by segmenters that never saw them
    ner_train = read_pos(pd1998 / "train.pos.txt", p.max_train_sentences)
    texts = [c for c, _, _ in ner_train]
    t0 = time.perf_counter()
    if p.seg_train == "pd1998":
        tags, fold_info = cross_tags(texts, [words_to_bmes(ws) for _, _, ws in ner_train],
                                     SEG_TAGS, lex, dev_f1, folds=p.feature_folds,
                                     epochs=p.fold_epochs, patience=p.patience, **kw)
        feats = {"folds": p.feature_folds, "fold_epochs": p.fold_epochs,
                 "fold_dev_f1": [round(i["best_dev"] * 100, 2) for i in fold_info]}
    else:  # this segmenter never saw the 1998 sentences: it tags them itself
        tags, feats = seg.tag(texts), {"folds": 0}
    write_lines(out / TRAIN_TAGS, ("".join(t) for t in tags))
    metrics["names_training_tags"] = {**feats, "sentences": len(texts),
                                      "seconds": round(time.perf_counter() - t0, 1)}
    return metrics


def score_sighan(seg: Tagger, sighan: Path, train_vocab: set[str]) -> dict:
    """Word F1 on the SIGHAN 2005 PKU/MSR test sets (those prepared), decoding speed."""
    def segment(lines):
        return [bmes_to_words(line, t) for line, t in zip(lines, seg.tag(lines), strict=True)]

    segment([x for std in ("pku", "msr") if (sighan / f"{std}_test.raw.txt").exists()
             for x in (sighan / f"{std}_test.raw.txt").read_text(encoding="utf-8")
             .splitlines()[:300]])  # warm up: let the compiled predict function trace
    metrics: dict = {}
    decode_seconds, test_chars = 0.0, 0
    for std in ("pku", "msr"):
        gold_path = sighan / f"{std}_test.gold.txt"
        if not gold_path.exists():
            continue
        gold = [line.split() for line in gold_path.read_text(encoding="utf-8").splitlines()]
        raw = ["".join(g) for g in gold]
        t0 = time.perf_counter()
        pred = segment(raw)  # once; scored against both vocabularies below
        decode_seconds += time.perf_counter() - t0
        test_chars += sum(map(len, raw))
        marks = read_oov_marks(sighan / f"{std}_test.oov.txt")
        words_path = sighan / f"{std}_training_words.txt"
        sighan_words = set(words_path.read_text(encoding="utf-8").split()) \
            if words_path.exists() else set()
        official = score_segmentation(gold, pred, sighan_words, marks)
        ours = score_segmentation(gold, pred, train_vocab)
        metrics[std] = {"f1": round(official.f1 * 100, 2),
                        "precision": round(official.precision * 100, 2),
                        "recall": round(official.recall * 100, 2),
                        # as the bakeoff counts it: the official word list, unnormalised forms
                        "oov_recall": round((official.oov_recall or 0) * 100, 2),
                        "oov_rate": round((official.oov_rate or 0) * 100, 2),
                        "oov_definition": "official" if marks is not None else "word list",
                        # the stricter view: OOV against our (normalised) training split
                        "oov_recall_train_vocab": round((ours.oov_recall or 0) * 100, 2),
                        "oov_rate_train_vocab": round((ours.oov_rate or 0) * 100, 2)}
    metrics["decode_chars_per_sec"] = round(test_chars / decode_seconds) if decode_seconds else 0
    return metrics
