"""Stage ``train_cloze`` as a function: the reader, trained on the items of ``cloze_items``
from the vectors of ``cloze_vectors``, scored on the CMRC 2017 validation set (never used for
training or early stopping) next to a most-frequent-candidate baseline."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zhpipe.callbacks import Callback, named
from zhpipe.cloze.data import (
    ReadStats,
    accuracy,
    attach_answers,
    item_stats,
    read_answers,
    read_doc_query,
    write_answers,
)
from zhpipe.cloze.items import DEV, EXCLUDE, TRAIN, read_items
from zhpipe.cloze.params import ReaderParams

STORY_QID = "<qid_cft"  # the items of the CFT stories (ready-made and generated)


def top_frequency(item, exclude) -> str:
    """A frequency baseline: the passage's most frequent candidate word (same candidates as
    the reader's)."""
    from zhpipe.cloze.encoding import candidate_mask

    cands = [w for w, ok in zip(item.tokens, candidate_mask(item.tokens, exclude), strict=True)
             if ok]
    return Counter(cands).most_common(1)[0][0] if cands else ""


def _train_member(p: ReaderParams, train, dev, vocab, init, stories, member: int,
                  callbacks: Sequence[Callback] = ()):
    """One reader of the ensemble (members differ by their seed)."""
    from zhpipe.cloze.train import train_reader

    return train_reader(
        train, dev, vocab, dim=p.dim, units=p.units, dropout=p.dropout, max_doc=p.max_doc,
        tokens_per_batch=p.tokens_per_batch, encoder=p.encoder, dilations=p.dilations,
        freeze_embeddings=p.freeze_embeddings, gated_attention=p.gated_attention,
        learning_rate=p.learning_rate, lr_decay=p.lr_decay, epochs=p.epochs,
        patience=p.patience, seed=p.seed + member, init=init,
        second=stories, second_epochs=p.story_epochs, second_learning_rate=p.story_learning_rate,
        callbacks=callbacks)


def train_and_score(p: ReaderParams, items: Path, vectors: Path, cmrc: Path, out: Path,
                    callbacks: Sequence[Callback] = ()) -> dict:
    """Train the reader on the items, save it in ``out``, score it on CMRC 2017 validation.
    ``callbacks`` see the first member's epochs as the curve ``reader``."""
    from zhpipe.cloze.reader import Ensemble, best
    from zhpipe.cloze.vocab import WordVocab
    from zhpipe.embeddings.io import load_npz

    train, dev = read_items(items, TRAIN), read_items(items, DEV)
    exclude = set((items / EXCLUDE).read_text(encoding="utf-8").split())
    init_words, init_vectors, _ = load_npz(vectors)  # no words when the source is none
    made = vectors.parent / "info.json"  # how cloze_vectors made them
    vectors_info = json.loads(made.read_text(encoding="utf-8")) if made.exists() else {}
    transductive = bool(vectors_info.get("reads_validation_text"))
    vocab = WordVocab.build(train, p.min_count, p.max_vocab, p.oov_slots, extra=init_words,
                            exclude=exclude)
    init = None
    if init_words:
        init = np.random.default_rng(p.seed).uniform(
            -0.05, 0.05, (len(vocab), init_vectors.shape[1])).astype("float32")
        row = {w: i for i, w in enumerate(init_words)}
        for w, i in vocab.index.items():
            if w in row:
                init[i] = init_vectors[row[w]]
    stories = [it for it in train if it.qid.startswith(STORY_QID)]
    readers, infos = [], []
    for member in range(p.ensemble):  # members differ by their seed
        reader, info = _train_member(p, train, dev, vocab, init, stories, member,
                                     named("reader", callbacks) if member == 0 else [])
        reader.save(out, member, p.ensemble)
        readers.append(reader)
        infos.append(info)
    info = infos[0]

    stats = ReadStats()
    valid = read_doc_query(cmrc / "cloze.valid.doc_query", stats)
    gold = read_answers(cmrc / "cloze.valid.answer")
    attach_answers(valid, gold)
    t0 = time.perf_counter()
    member_valid = [r.word_probs(valid) for r in readers]  # each member reads the set once
    pred = best(Ensemble.average(member_valid))
    seconds = time.perf_counter() - t0
    predictions = dict(zip((it.qid for it in valid), pred, strict=True))
    write_answers(out / "cloze.valid.pred", predictions.items())
    score = accuracy(gold, predictions)  # every gold query counts, answered or not
    baseline = accuracy(gold, {it.qid: top_frequency(it, vocab.exclude) for it in valid})
    reachable = sum(it.answer in set(it.tokens[: p.max_doc]) for it in valid if it.answer)
    have_vector = set(init_words) if init is not None else set()
    member_dev = [r.word_probs(dev) for r in readers]
    dev_right = [got == it.answer for got, it in zip(best(Ensemble.average(member_dev)), dev,
                                                     strict=True)]
    by_file: dict[str, list[bool]] = {}  # the dev accuracy per file (CFT: auto, human)
    for it, right in zip(dev, dev_right, strict=True):
        by_file.setdefault(_qid_name(it.qid), []).append(right)
    metrics = {
        "cmrc2017": {"valid": {**score, "top_frequency_accuracy": baseline["accuracy"],
                               "reads_validation_text": transductive,
                               "answer_within_max_doc": round(100 * reachable / len(gold), 2),
                               "items_per_sec": round(len(valid) / seconds, 1),
                               "read": stats.as_dict(), **item_stats(valid)}},
        "train_items": len(train), "dev_items": len(dev), "vocab": len(vocab),
        "excluded_words": len(vocab.exclude),
        "valid_answers_excluded": sum(a in vocab.exclude for a in gold.values()),
        "vectors": {"used": init is not None, "words": len(init_words),
                    "valid_answers_with_vector": round(100 * sum(
                        a in have_vector for a in gold.values()) / max(len(gold), 1), 2)},
        "encoder": p.encoder, "reader": info, "dev_accuracy": info["dev_accuracy"],
        "dev_items_source": "cft" if dev and dev[0].qid.startswith(STORY_QID) else "generated",
        "dev_accuracy_by_file": {k: {"items": len(v), "accuracy": round(100 * sum(v) / len(v), 2)}
                                 for k, v in sorted(by_file.items())},
        "dev_top_frequency_accuracy": round(100 * sum(
            top_frequency(it, vocab.exclude) == it.answer for it in dev) / max(len(dev), 1), 2),
        "items_by_source": dict(Counter(_source(it.qid) for it in train)),
        "reads_validation_text": transductive,
    }
    if p.ensemble > 1:  # the single readers beside their ensemble (the stage's model)
        metrics["ensemble"] = {
            "members": p.ensemble, "valid_accuracy": score["accuracy"],
            "members_valid_accuracy": [
                accuracy(gold, dict(zip((it.qid for it in valid), best(probs), strict=True)))
                ["accuracy"] for probs in member_valid],
            "dev_accuracy": round(100 * sum(dev_right) / len(dev), 2) if dev else None,
            "members_dev_accuracy": [i["dev_accuracy"] for i in infos],
            "train_seconds": round(sum(i["train_seconds"] for i in infos), 1)}
        metrics["dev_accuracy"] = metrics["ensemble"]["dev_accuracy"]
    return metrics


def _qid_name(qid: str) -> str:
    """The source name inside a cloze_items qid: <qid_pd1998_7> -> pd1998, <qid_cft_12> -> cft,
    <qid_cft_human_3> -> cft_human; the official <qid_7> -> ''."""
    return "_".join(qid.strip("<>").split("_")[1:-1])


def _source(qid: str) -> str:
    """The source of a cloze_items qid, as ``items_by_source`` names it."""
    name = _qid_name(qid)
    if name.startswith("cft"):  # cloze_items's names: CFT's own items, items of its stories
        return "cft_items" if name in ("cft_auto", "cft_human") else "cft_generated"
    return name or "cmrc2017_train"
