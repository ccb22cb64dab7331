"""Bench: the Keras CRF taggers (trained by the pipeline) against sklearn-crfsuite and jieba.

In one run, on the same data (run the pipeline first):

* ``crf_segmentation``: PKU (and MSR) word F1 and OOV recall of the pipeline's tagger
  (the segmenter saved next to the names tagger in data/ner) and of sklearn-crfsuite trained
  here on the same 1998 train split with character unigram/bigram features in a +-2 window
  (the issue's anchor); training seconds;
* ``crf_names``: entity F1 of both on the held-out half of the 1998 dev split;
* ``segment_speed``: characters/s on the PKU test text, batched, for the Keras tagger,
  crfsuite and jieba's default ``cut`` (each the best of three passes).

``--crfsuite-lexicon`` gives crfsuite the Keras taggers' own lexicon flags too (the mined
lexicon's and, by default, the dictionary's: one indicator feature per flag at each character),
so that the comparison shares every outside resource; rows then say ``sklearn-crfsuite + the
taggers' lexicon flags``.
``--max-train N`` limits crfsuite's training sentences (the full split takes minutes).
``--models DIR`` benches taggers trained elsewhere (e.g. with the full profile's params) and
``--label TEXT`` says which in every row. crfsuite trains on the corpus the taggers'
segmentation trained on (``train_seg.seg_train`` in ``--params``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT / "data"


def char_features(text: str, lexicon=None) -> list[dict]:
    feats = []
    flags = lexicon.flags(text) if lexicon is not None and text else None
    pad = "^^" + text + "$$"
    for i in range(len(text)):
        j = i + 2
        feats.append({"c-2": pad[j - 2], "c-1": pad[j - 1], "c0": pad[j], "c1": pad[j + 1],
                      "c2": pad[j + 2], "b-1": pad[j - 1:j + 1], "b0": pad[j:j + 2],
                      "b-2": pad[j - 2:j], "b1": pad[j + 1:j + 3], "t": pad[j - 1] + pad[j + 1]})
        if flags is not None:
            feats[-1].update({f"L{k}": 1.0 for k in flags[i].nonzero()[0].tolist()})
    return feats


#: each contender's speed is the best of this many timed passes over the same text (this
#: machine's speed drifts by a third between minutes; the best pass is the least disturbed)
REPEATS = 3


def best_of(n: int, fn):
    """(result, seconds of the fastest of ``n`` calls)."""
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def train_crfsuite(texts, tags, lexicon=None):
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.01, max_iterations=100)
    t0 = time.perf_counter()
    crf.fit([char_features(t, lexicon) for t in texts], tags)
    return crf, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--max-train", type=int)
    ap.add_argument("--models", type=Path, default=DATA / "ner",
                    help="the train_ner folder (it holds the names tagger and its segmenter)")
    ap.add_argument("--label", default="pipeline models", help="recorded in every row")
    ap.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    ap.add_argument("--crfsuite-lexicon", action="store_true",
                    help="crfsuite also reads the Keras taggers' lexicon/dictionary flags")
    args = ap.parse_args()

    from zhpipe.corpus.segmented import parse_pd1998_line
    from zhpipe.evaluation.entities import entity_scores
    from zhpipe.evaluation.segmentation import read_oov_marks, score_segmentation
    from zhpipe.params import load_section
    from zhpipe.tagging.data import bmes_to_words, pos_to_bio, segmentation_corpus, words_to_bmes
    from zhpipe.tagging.params import SegParams
    from zhpipe.tagging.tagger import Tagger

    def emit(**kw):
        print(json.dumps({**kw, "run": args.label}, ensure_ascii=False), flush=True)

    pd = DATA / "prepared/pd1998"
    seg_train = load_section("train_seg", SegParams, args.params).seg_train
    train, _ = segmentation_corpus(seg_train, pd, DATA / "prepared/sighan2005", args.max_train)
    vocab = {w for s in train for w in s}
    seg = Tagger.load(args.models, "seg")
    seg_lex = seg.lexicon if args.crfsuite_lexicon else None
    baseline = "sklearn-crfsuite" + (" + the taggers' lexicon flags" if seg_lex else "")
    crfsuite, seconds = train_crfsuite(["".join(s) for s in train],
                                       [words_to_bmes(s) for s in train], seg_lex)
    speeds = {}
    for std in ("pku", "msr"):
        gold = [g.split() for g in (DATA / f"prepared/sighan2005/{std}_test.gold.txt")
                .read_text(encoding="utf-8").splitlines()]
        raw = ["".join(g) for g in gold]
        chars = sum(map(len, raw))
        seg.tag(raw)  # warm up: the compiled predict function traces the first batch shapes
        ours, ours_s = best_of(REPEATS, lambda r=raw: [
            bmes_to_words(x, t) for x, t in zip(r, seg.tag(r), strict=True)])
        theirs, theirs_s = best_of(REPEATS, lambda r=raw: [
            bmes_to_words(x, t) if x else [] for x, t in
            zip(r, crfsuite.predict([char_features(x, seg_lex) for x in r]), strict=True)])
        marks = read_oov_marks(DATA / f"prepared/sighan2005/{std}_test.oov.txt")
        a, b = (score_segmentation(gold, p, vocab, marks) for p in (ours, theirs))
        a2, b2 = (score_segmentation(gold, p, vocab) for p in (ours, theirs))
        emit(bench="crf_segmentation", test=std, keras_f1=round(a.f1 * 100, 2),
             keras_oov_recall=round(a.oov_recall * 100, 2), baseline=baseline,
             baseline_f1=round(b.f1 * 100, 2), baseline_oov_recall=round(b.oov_recall * 100, 2),
             oov_definition="official" if marks is not None else "train split",
             keras_oov_recall_train_vocab=round(a2.oov_recall * 100, 2),
             baseline_oov_recall_train_vocab=round(b2.oov_recall * 100, 2),
             baseline_train_seconds=round(seconds, 1), train_sentences=len(train),
             train_corpus=seg_train)
        if std == "pku":
            import jieba

            jieba.setLogLevel(60)
            jieba.initialize()
            _, jieba_s = best_of(REPEATS, lambda r=raw: [list(jieba.cut(x)) for x in r])
            speeds = {"keras_chars_per_sec": round(chars / ours_s),
                      "crfsuite_chars_per_sec": round(chars / theirs_s),
                      "baseline": "jieba 0.42.1 cut", "baseline_chars_per_sec":
                      round(chars / jieba_s), "ratio_to_jieba": round(jieba_s / ours_s, 2)}
    emit(bench="segment_speed", model="crf", **speeds)

    def read_pos(path):
        return [pos_to_bio(parse_pd1998_line(x, str(path)))
                for x in path.read_text(encoding="utf-8").splitlines() if x]

    ner_train = read_pos(pd / "train.pos.txt")
    ner_train = ner_train[: args.max_train] if args.max_train else ner_train
    held = read_pos(pd / "dev.pos.txt")
    test = held[len(held) // 2:]
    ner = Tagger.load(args.models, "ner")
    ner_lex = ner.lexicon if args.crfsuite_lexicon else None
    crf_ner, seconds = train_crfsuite([c for c, _ in ner_train], [t for _, t in ner_train],
                                      ner_lex)
    gold = [t for _, t in test]
    a = entity_scores(gold, ner.tag([c for c, _ in test]))
    b = entity_scores(gold, crf_ner.predict([char_features(c, ner_lex) for c, _ in test]))
    emit(bench="crf_names", keras_f1=round(a["f1"] * 100, 2),
         baseline="sklearn-crfsuite" + (" + the taggers' lexicon flags" if ner_lex else ""),
         baseline_f1=round(b["f1"] * 100, 2), baseline_train_seconds=round(seconds, 1),
         test_sentences=len(test))


if __name__ == "__main__":
    main()
