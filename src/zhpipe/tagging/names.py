"""Stage ``train_ner`` as a function: the CRF names tagger, reading the segmenter's tags as
features and saved with the segmenter, scored on the held-out half of the 1998 dev split."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zhpipe.callbacks import Callback, named
from zhpipe.evaluation.entities import entity_scores
from zhpipe.tagging.data import NER_TAGS
from zhpipe.tagging.features import TRAIN_TAGS, lexicon_features, model_kw, read_pos, settings
from zhpipe.tagging.params import NerParams
from zhpipe.tagging.tagger import Tagger, train_tagger


def run_names(p: NerParams, pd1998: Path, seg_folder: Path, lexicon: Path, out: Path,
              callbacks: Sequence[Callback] = ()) -> dict:
    """Train the names tagger (with the segmenter's tags as features when ``seg_features``),
    save it (``out/ner.*``, the segmenter next to it), score on the held-out dev half."""
    lex, dict_info = lexicon_features(p, lexicon, names=p.dictionary_names)
    ner_train = read_pos(pd1998 / "train.pos.txt", p.max_train_sentences)
    held = read_pos(pd1998 / "dev.pos.txt", None)
    half = len(held) // 2  # first half: early stopping; second half: the held-out test
    dev, test = held[:half], held[half:]
    texts = [c for c, _, _ in ner_train]
    segmenter, seg_tags = None, None
    if p.seg_features:
        from zhpipe.corpus.text import CorpusError

        segmenter = Tagger.load(seg_folder, "seg")
        tags_path = seg_folder / TRAIN_TAGS
        seg_tags = [list(line) for line in tags_path.read_text(encoding="utf-8").splitlines()]
        if [len(t) for t in seg_tags] != [len(x) for x in texts]:
            raise CorpusError(f"{tags_path}: its tags do not match the names tagger's training "
                              f"sentences ({len(seg_tags)} lines for {len(texts)}); rerun the "
                              "train_seg stage with the same max_train_sentences")

    def dev_f1(tagger):
        return entity_scores([t for _, t, _ in dev], tagger.tag([c for c, _, _ in dev]))["f1"]

    ner, info = train_tagger(texts, [t for _, t, _ in ner_train], NER_TAGS, lex, dev_f1,
                             epochs=p.epochs, patience=p.patience, segmenter=segmenter,
                             train_seg_tags=seg_tags, callbacks=named("ner", callbacks),
                             label="ner", **model_kw(p))
    ner.save(out, "ner")
    scores = entity_scores([t for _, t, _ in test], ner.tag([c for c, _, _ in test]))
    return {**settings(p, dict_info),
            "ner": {"f1": round(scores["f1"] * 100, 2),
                    "precision": round(scores["precision"] * 100, 2),
                    "recall": round(scores["recall"] * 100, 2),
                    "types": {t: {k: round(v * 100, 2) if k != "support" else v
                                  for k, v in d.items()}
                              for t, d in scores["types"].items()},
                    "dev_f1": round(info["best_dev"] * 100, 2), "test_sentences": len(test),
                    "history": info["history"], "segmenter_features": p.seg_features,
                    "train_seconds": info["train_seconds"]}}
