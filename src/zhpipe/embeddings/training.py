"""The word2vec stage's work: the training corpus, the engine and the outputs."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from zhpipe.embeddings.io import save_npz, save_text, save_vocab
from zhpipe.embeddings.vocab import EmbeddingError, Vocab

log = logging.getLogger(__name__)


def _lines(path: Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield line.rstrip("\n")


def extra_texts(folder: Path):
    """Raw prose of a prepared corpus: LCSTS pairs (both sides) or CMRC passages (not queries,
    whose blank is an artefact), spaces removed so that the mined lexicon segments them."""
    for path in sorted(folder.glob("*.tsv")):
        for line in _lines(path):
            yield from (x for x in line.split("\t") if x)
    raw = folder / "raw.txt"  # plain prose (the Wikipedia dump)
    if raw.exists():
        yield from (line for line in _lines(raw) if line)
    for path in sorted(folder.glob("*.doc_query")):
        for line in _lines(path):
            head, _, body = line.partition(" ||| ")
            if body and not head.startswith("<qid"):
                yield body.replace(" ", "")


def training_corpus(mined: Path, lexicon: Path, gold: Path | None = None,
                    extra: list[Path] = (), user_files: list[Path] = (),
                    ) -> tuple[list[list[str]], dict]:
    """Sentences (word lists): the mining corpus segmented by the mined lexicon (or the 1998
    corpus with its gold segmentation when ``gold`` is given, plus the test texts as mined),
    and the extra prose segmented by the mined lexicon."""
    from zhpipe.mining.lexicon_io import read_lexicon_counts
    from zhpipe.mining.segmenter import UnigramSegmenter

    sentences: list[list[str]] = []
    sources = {}
    if gold is not None:
        for name in ("train.seg.txt", "dev.seg.txt"):
            sentences.extend(s.split() for s in _lines(gold / name) if s)
        sources["pd1998_gold_sentences"] = len(sentences)
    else:
        sentences.extend(s.split() for s in _lines(mined) if s)
        sources["mined_sentences"] = len(sentences)
    if extra or user_files:
        from zhpipe.corpus.text import clean_raw, read_lines

        seg = UnigramSegmenter.from_counts(read_lexicon_counts(lexicon))
        texts = [t for folder in extra for t in extra_texts(folder)]
        for f in user_files:
            texts.extend(t for _, line in read_lines(f, keep_empty=False) if (t := clean_raw(line)))
        before = len(sentences)
        for i in range(0, len(texts), 20000):
            sentences.extend(w for w in seg.segment_lines(texts[i:i + 20000]) if w)
        sources["extra_sentences"] = len(sentences) - before
    sources["tokens"] = sum(map(len, sentences))
    return sentences, sources


def accelerator_visible() -> bool:
    """Is a GPU visible to the active Keras backend?"""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    try:
        if backend == "jax":
            import jax

            return any(d.platform == "gpu" for d in jax.devices())
        if backend == "torch":
            import torch

            return torch.cuda.is_available()
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except Exception:  # a backend that cannot even start has no accelerator for us
        return False


def choose_engine(engine: str) -> str:
    if engine != "auto":
        return engine
    return "keras" if accelerator_visible() else "gensim"


def train(sentences: list[list[str]], vocab: Vocab, p, engine: str) -> tuple[np.ndarray, dict]:
    common = dict(dim=p.dim, window=p.window, negative=p.negative, sample=p.sample,
                  epochs=p.epochs, alpha=p.alpha, min_alpha=p.min_alpha, seed=p.seed,
                  cbow=p.mode == "cbow")
    if engine == "gensim":
        from zhpipe.embeddings.gensim_w2v import train_gensim

        return train_gensim(sentences, vocab.words, min_count=p.min_count, workers=p.workers,
                            **common)
    from zhpipe.embeddings.keras_w2v import train_keras

    ids, offsets = vocab.encode(sentences)
    return train_keras(ids, offsets, vocab.counts, batch_size=p.batch_size,
                       shared_negatives=p.shared_negatives,
                       steps_per_execution=p.steps_per_execution, **common)


def run(sentences: list[list[str]], p, out: Path) -> dict:
    """Train word (and character) vectors and write them; return the metrics (the
    ``eval_word2vec`` stage evaluates them)."""
    out.mkdir(parents=True, exist_ok=True)
    engine = choose_engine(p.engine)
    vocab = Vocab.build(sentences, p.min_count)
    log.info("training %s word vectors: %d words, %d tokens", engine, len(vocab),
             int(vocab.counts.sum()))
    vectors, stats = train(sentences, vocab, p, engine)
    save_text(out / "vectors.txt", vocab.words, vectors)
    save_npz(out / "vectors.npz", vocab.words, vectors, vocab.counts)
    save_vocab(out / "vocab.tsv", vocab.words, vocab.counts)
    if engine == "keras":
        from zhpipe.backend import describe

        backend = describe()
    else:
        backend = {"backend": "none (gensim)", "device": "cpu"}
    metrics = {"engine": engine, "backend": backend, "vocabulary": len(vocab),
               "tokens": int(vocab.counts.sum()),
               "effective_words": stats["effective_words"],
               "train_seconds": round(stats["seconds"], 2),
               "words_per_sec": round(stats["words_per_sec"])}
    if p.char_vectors:
        chars = [list("".join(s)) for s in sentences]
        try:
            cvocab = Vocab.build(chars, p.min_count)
            cvec, cstats = train(chars, cvocab, p, engine)
            save_text(out / "chars.txt", cvocab.words, cvec)
            save_npz(out / "chars.npz", cvocab.words, cvec, cvocab.counts)
            metrics["char_vectors"] = {"vocabulary": len(cvocab),
                                       "words_per_sec": round(cstats["words_per_sec"])}
        except EmbeddingError as exc:
            log.warning("no character vectors: %s", exc)
    return metrics


def run_word2vec(p, lexicon: Path, mined: Path, gold: Path | None, extra: list[Path], out: Path,
                 params_path: str | Path = "params.yaml") -> dict:
    """Stage ``word2vec``: its training corpus (the mined segmentation, or the gold one, plus
    the extra and user corpora its params name), vectors trained into ``out``; the metrics."""
    import time

    from zhpipe.params import ParamsError

    t0 = time.perf_counter()
    user = [Path(f) for f in p.user_files]
    for f in user:
        if not f.is_file():
            raise ParamsError(f"{params_path}: word2vec.user_files: {f} is not a file")
    sentences, sources = training_corpus(
        mined, lexicon, gold=gold if p.input == "gold" else None,
        extra=extra if p.extra_corpora else [], user_files=user)
    metrics = run(sentences, p, out)
    metrics["corpus"] = {**sources, "input": p.input}
    metrics["seconds_total"] = round(time.perf_counter() - t0, 2)
    return metrics
