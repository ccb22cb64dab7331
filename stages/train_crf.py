"""Stage train_crf: CRF taggers for word segmentation (BMES) and names (BIO), evaluated."""

import argparse
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.corpus.prepare import parse_pd1998_line
from zhpipe.evaluation.entities import entity_scores
from zhpipe.evaluation.segmentation import read_oov_marks, score_segmentation
from zhpipe.fsutil import write_json
from zhpipe.params import load_section
from zhpipe.tagging.data import (
    NER_TAGS,
    SEG_TAGS,
    LexiconFlags,
    LexiconStack,
    bmes_to_words,
    pos_to_bio,
    segmentation_corpus,
    words_to_bmes,
)
from zhpipe.tagging.params import CrfParams
from zhpipe.tagging.tagger import cross_tags, train_tagger


def read_pos(path: Path, limit: int | None) -> list[tuple[str, list[str], list[str]]]:
    """(characters, BIO tags, words) of each sentence of a 1998 POS file."""
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line:
            tokens = parse_pd1998_line(line, f"{path}:{no}")
            out.append((*pos_to_bio(tokens), [w for w, _ in tokens]))
    return out[:limit] if limit else out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True)
    ap.add_argument("--sighan", type=Path, required=True)
    ap.add_argument("--lexicon", type=Path, required=True)
    ap.add_argument("--chars", type=Path, help="character vectors (.npz) to start from")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_crf", CrfParams, args.params)

    groups: dict[str, LexiconFlags] = {}
    if p.use_lexicon:
        from zhpipe.mining.lexicon_io import read_lexicon_counts

        groups["mined"] = LexiconFlags(w for w in read_lexicon_counts(args.lexicon)
                                       if len(w) > 1)
    dict_info = None
    name_groups: dict[str, LexiconFlags] = {}
    if p.dictionary != "none":
        from zhpipe.corpus.checksum import sha256_file
        from zhpipe.tagging.dictionary import (
            dictionary_groups,
            dictionary_label,
            dictionary_path,
            read_dictionary,
        )

        path = dictionary_path(p.dictionary)
        entries = read_dictionary(path)
        all_groups = dictionary_groups(entries, p.dictionary_lengths, p.dictionary_bands,
                                       p.dictionary_names)
        name_groups = {k: all_groups.pop(k) for k in list(all_groups)
                       if k in ("dict_PER", "dict_LOC", "dict_ORG")}
        groups.update(all_groups)
        dict_info = {"source": p.dictionary, "file": dictionary_label(p.dictionary),
                     "sha256": sha256_file(path),
                     "words": len(entries), "lengths": p.dictionary_lengths,
                     "bands": {k: sum(len(ws) for ws in g.words.values())
                               for k, g in all_groups.items()},
                     "name_words": {k: sum(len(ws) for ws in g.words.values())
                                    for k, g in name_groups.items()}}
    lexicon = LexiconStack(groups) if groups else None
    ner_lexicon = LexiconStack({**groups, **name_groups}) if groups or name_groups else None
    char_init = None
    if p.char_init and args.chars and args.chars.exists():
        from zhpipe.embeddings.io import load_npz

        words, vectors, _ = load_npz(args.chars)
        char_init = {w: v for w, v in zip(words, vectors, strict=True) if len(w) == 1}
    model_kw = dict(encoder=p.encoder, filters=p.filters, dilations=tuple(p.dilations),
                    char_dim=p.char_dim, bigram_dim=p.bigram_dim, dropout=p.dropout,
                    unk_rate=p.unk_rate,
                    tokens_per_batch=p.tokens_per_batch, learning_rate=p.learning_rate,
                    seed=p.seed, max_len=p.max_len, char_init=char_init, ema=p.ema)
    metrics: dict = {"encoder": p.encoder, "lexicon_features": p.use_lexicon,
                     "dictionary": dict_info, "char_init": char_init is not None}

    # ----------------------------------------------------------------- segmentation
    train, dev = segmentation_corpus(p.seg_train, args.pd1998, args.sighan,
                                     p.max_train_sentences)
    train_vocab = {w for s in train for w in s}

    def seg_dev_f1(tagger):
        tags = tagger.tag(["".join(s) for s in dev])
        pred = [bmes_to_words("".join(s), t) for s, t in zip(dev, tags, strict=True)]
        return score_segmentation(dev, pred).f1

    seg, seg_info = train_tagger(["".join(s) for s in train], [words_to_bmes(s) for s in train],
                                 SEG_TAGS, lexicon, seg_dev_f1, epochs=p.seg_epochs,
                                 patience=p.patience, **model_kw)
    seg.save(args.out, "seg")

    def segment(lines):
        return [bmes_to_words(line, t) for line, t in zip(lines, seg.tag(lines), strict=True)]

    segment([x for std in ("pku", "msr") if (args.sighan / f"{std}_test.raw.txt").exists()
             for x in (args.sighan / f"{std}_test.raw.txt").read_text(encoding="utf-8")
             .splitlines()[:300]])  # warm up: let the compiled predict function trace
    decode_seconds, test_chars = 0.0, 0
    for std in ("pku", "msr"):
        gold_path = args.sighan / f"{std}_test.gold.txt"
        if not gold_path.exists():
            continue
        gold = [line.split() for line in gold_path.read_text(encoding="utf-8").splitlines()]
        raw = ["".join(g) for g in gold]
        t0 = time.perf_counter()
        pred = segment(raw)  # once; scored against both vocabularies below
        decode_seconds += time.perf_counter() - t0
        test_chars += sum(map(len, raw))
        marks = read_oov_marks(args.sighan / f"{std}_test.oov.txt")
        words_path = args.sighan / f"{std}_training_words.txt"
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
    metrics["seg"] = {**{k: v for k, v in seg_info.items() if k != "history"},
                      "dev_f1": round(seg_info["best_dev"] * 100, 2),
                      "history": seg_info["history"], "train_sentences": len(train),
                      "train_corpus": p.seg_train, "dev_sentences": len(dev)}

    # ----------------------------------------------------------------- names
    ner_train = read_pos(args.pd1998 / "train.pos.txt", p.max_train_sentences)
    held = read_pos(args.pd1998 / "dev.pos.txt", None)
    half = len(held) // 2  # first half: early stopping; second half: the held-out test
    ner_dev, ner_test = held[:half], held[half:]
    ner_texts = [c for c, _, _ in ner_train]

    seg_feats: dict = {"segmenter": False}
    train_seg_tags = None
    if p.ner_seg_features:
        seg_feats = {"segmenter": True, "folds": 0}
        if p.seg_train == "pd1998":
            # the segmenter learnt these very sentences: their training features come from
            # segmenters trained on the other folds, so that they are as noisy as on new text
            t0 = time.perf_counter()
            train_seg_tags, fold_info = cross_tags(
                ner_texts, [words_to_bmes(ws) for _, _, ws in ner_train], SEG_TAGS, lexicon,
                seg_dev_f1, folds=p.seg_feature_folds, epochs=p.seg_epochs,
                patience=p.patience, **model_kw)
            seg_feats = {"segmenter": True, "folds": p.seg_feature_folds,
                         "fold_dev_f1": [round(i["best_dev"] * 100, 2) for i in fold_info],
                         "seconds": round(time.perf_counter() - t0, 1)}

    def ner_dev_f1(tagger):
        pred = tagger.tag([c for c, _, _ in ner_dev])
        return entity_scores([t for _, t, _ in ner_dev], pred)["f1"]

    ner, ner_info = train_tagger(ner_texts, [t for _, t, _ in ner_train],
                                 NER_TAGS, ner_lexicon, ner_dev_f1, epochs=p.ner_epochs,
                                 patience=p.patience,
                                 segmenter=seg if p.ner_seg_features else None,
                                 train_seg_tags=train_seg_tags, **model_kw)
    ner.save(args.out, "ner")
    test_scores = entity_scores([t for _, t, _ in ner_test],
                                ner.tag([c for c, _, _ in ner_test]))
    metrics["ner"] = {"f1": round(test_scores["f1"] * 100, 2),
                      "precision": round(test_scores["precision"] * 100, 2),
                      "recall": round(test_scores["recall"] * 100, 2),
                      "types": {t: {k: round(v * 100, 2) if k != "support" else v
                                    for k, v in d.items()}
                                for t, d in test_scores["types"].items()},
                      "dev_f1": round(ner_info["best_dev"] * 100, 2),
                      "test_sentences": len(ner_test), "history": ner_info["history"],
                      "segmenter_features": seg_feats,
                      "train_seconds": ner_info["train_seconds"]}
    write_json(args.out / "summary.json", {k: v for k, v in metrics.items() if k != "seg"})
    tracking.record_stage("train_crf", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run("train_crf", main)
