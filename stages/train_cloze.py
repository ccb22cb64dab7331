"""Stage train_cloze: generated CMRC-style training items, a Keras reader, CMRC 2017 accuracy."""

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from zhpipe import stagerun, tracking
from zhpipe.cloze.data import (
    ReadStats,
    accuracy,
    attach_answers,
    item_stats,
    read_answers,
    read_doc_query,
    write_answers,
    write_doc_query,
)
from zhpipe.cloze.generate import (
    GeneratorOptions,
    generate,
    non_answer_words,
    read_segmented,
    read_tagged,
)
from zhpipe.cloze.params import ClozeParams
from zhpipe.cloze.reader import WordVocab, candidate_mask, train_reader
from zhpipe.cloze.vectors import passage_sentences, train_vectors
from zhpipe.corpus.checksum import sha256_file
from zhpipe.corpus.text import CorpusError
from zhpipe.fsutil import write_json
from zhpipe.params import load_section


def top_frequency(item, exclude) -> str:
    """A frequency baseline: the passage's most frequent candidate word (same candidates as
    the reader's)."""
    cands = [w for w, ok in zip(item.tokens, candidate_mask(item.tokens, exclude), strict=True)
             if ok]
    return Counter(cands).most_common(1)[0][0] if cands else ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True)
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--vectors", type=Path, help="word2vec vectors (.npz) to start from")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_cloze", ClozeParams, args.params)
    if p.vectors == "word2vec" and not (args.vectors and args.vectors.exists()):
        # checked before any work: the word2vec stage is not a DAG dep of this one
        raise CorpusError(
            f"train_cloze.vectors: word2vec needs the word2vec stage's vectors "
            f"({args.vectors or '--vectors'}): run `snakemake --cores N word2vec` (or "
            "`dvc repro word2vec`) first, or set train_cloze.vectors: own")
    gen_opts = GeneratorOptions(p.passage_sentences, p.items_per_passage, tuple(p.answer_tags),
                                p.min_answer_chars, p.skip_top_words, p.seed, p.passage_stride)

    # ----------------------------------------------------------------- training items
    items, metrics = [], {"train_source": p.train_source}
    sources: list = []
    official: list = []
    tagged = [s for f in sorted(args.pd1998.glob("*.pos.txt")) for s in read_tagged(f)]
    exclude = non_answer_words(tagged, p.answer_tags) if p.exclude_non_answers else set()
    if p.train_source in ("generated", "both"):
        sources = [("pd1998", tagged)]
        for path in p.corpora:
            if not Path(path).exists():
                raise CorpusError(f"params.yaml: train_cloze.corpora: {path}: no such file")
            sources.append((Path(path).stem, read_segmented(path)))
        generated = {}
        for name, sents in sources:
            got, info = generate(sents, gen_opts, name, never=exclude)
            items += got
            generated[name] = {**info, "items": len(got)}
        metrics["generated"] = {**item_stats(items), "sources": generated}
    if p.train_source in ("cmrc2017", "both"):
        doc_query, answers = args.cmrc / "train.doc_query", args.cmrc / "train.answer"
        if not (doc_query.exists() and answers.exists()):
            raise CorpusError(
                f"train_cloze.train_source={p.train_source} needs {doc_query} and {answers}: "
                "set download.fetch_optional: true to fetch the CMRC 2017 training set (its two "
                "zip parts, joined into train.doc_query), or use train_source: generated")
        official = read_doc_query(doc_query)
        attach_answers(official, read_answers(answers))
        items += [it for it in official if it.answer]
        metrics["cmrc2017_train_items"] = len(official)
    if len(items) <= p.dev_items:
        raise CorpusError(f"train_cloze: {len(items)} training items, not more than dev_items="
                          f"{p.dev_items}; add corpora or lower train_cloze.dev_items")
    order = np.random.default_rng(p.seed).permutation(len(items))
    dev = [items[i] for i in order[: p.dev_items]]  # early stopping: never the CMRC set
    train = [items[i] for i in order[p.dev_items:]]
    if p.max_train_items:
        train = train[: p.max_train_items]
    args.out.mkdir(parents=True, exist_ok=True)
    write_doc_query(args.out / "train.doc_query", train)
    write_answers(args.out / "train.answer", ((it.qid, it.answer) for it in train))

    # ----------------------------------------------------------------- reader
    init_words, init, vector_info = (), None, {"source": p.vectors}
    if p.vectors == "word2vec":
        from zhpipe.embeddings.io import load_npz

        init_words, vectors, _ = load_npz(args.vectors)
        # Not a DAG dep (the default `own` must not wait for the word2vec stage): the digest
        # in the metrics says which vectors a `word2vec` run started from.
        vector_info.update(file=str(args.vectors), sha256=sha256_file(args.vectors))
    elif p.vectors == "own":
        t0 = time.perf_counter()
        text = [[w for w, _ in s] for s in tagged]  # the 1998 corpus, as the items cut it
        for _, sents in sources[1:]:  # the user's corpora
            text += [[w for w, _ in s] for s in sents]
        if official:
            text += passage_sentences(official)
        if p.vectors_from_passages:  # unsupervised: passage sentences, never an answer
            text += passage_sentences(read_doc_query(args.cmrc / "cloze.valid.doc_query"))
        init_words, vectors = train_vectors(
            text, dim=p.vector_dim, window=5, negative=5, epochs=p.vector_epochs,
            min_count=p.vector_min_count, seed=p.seed)
        vector_info.update(from_passages=p.vectors_from_passages, sentences=len(text),
                           words=len(init_words),
                           seconds=round(time.perf_counter() - t0, 1))
    vocab = WordVocab.build(train, p.min_count, p.max_vocab, p.oov_slots, extra=init_words,
                            exclude=exclude)
    if len(init_words):
        dim = vectors.shape[1]
        init = np.random.default_rng(p.seed).uniform(-0.05, 0.05, (len(vocab), dim)) \
            .astype("float32")
        row = {w: i for i, w in enumerate(init_words)}
        for w, i in vocab.index.items():
            if w in row:
                init[i] = vectors[row[w]]
    reader, info = train_reader(
        train, dev, vocab, dim=p.dim, units=p.units, dropout=p.dropout, max_doc=p.max_doc,
        tokens_per_batch=p.tokens_per_batch, encoder=p.encoder, dilations=p.dilations,
        freeze_embeddings=p.freeze_embeddings, gated_attention=p.gated_attention,
        learning_rate=p.learning_rate, lr_decay=p.lr_decay, epochs=p.epochs,
        patience=p.patience, seed=p.seed,
        init=init)
    reader.save(args.out)

    # ----------------------------------------------------------------- CMRC 2017 validation
    stats = ReadStats()
    valid = read_doc_query(args.cmrc / "cloze.valid.doc_query", stats)
    gold = read_answers(args.cmrc / "cloze.valid.answer")
    attach_answers(valid, gold)
    t0 = time.perf_counter()
    pred = reader.answer(valid)
    seconds = time.perf_counter() - t0
    predictions = dict(zip((it.qid for it in valid), pred, strict=True))
    write_answers(args.out / "cloze.valid.pred", predictions.items())
    have_vector = set(init_words) if init is not None else set()
    score = accuracy(gold, predictions)  # every gold query counts, answered or not
    baseline = accuracy(gold, {it.qid: top_frequency(it, vocab.exclude) for it in valid})
    reachable = sum(it.answer in set(it.tokens[: p.max_doc]) for it in valid if it.answer)
    metrics.update({
        "cmrc2017": {"valid": {**score, "top_frequency_accuracy": baseline["accuracy"],
                               "answer_within_max_doc": round(100 * reachable / len(gold), 2),
                               "items_per_sec": round(len(valid) / seconds, 1),
                               "read": stats.as_dict(), **item_stats(valid)}},
        "train_items": len(train), "dev_items": len(dev), "vocab": len(vocab),
        "excluded_words": len(vocab.exclude),
        "valid_answers_excluded": sum(a in vocab.exclude for a in gold.values()),
        "vectors": {**vector_info, "used": init is not None,
                    "valid_answers_with_vector": round(100 * sum(
                        a in have_vector for a in gold.values()) / max(len(gold), 1), 2)},
        "word2vec_init": init is not None and p.vectors == "word2vec", "encoder": p.encoder,
        "reader": info, "dev_accuracy": info["dev_accuracy"],
    })
    write_json(args.out / "summary.json", metrics)
    tracking.record_stage("train_cloze", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run("train_cloze", main)
