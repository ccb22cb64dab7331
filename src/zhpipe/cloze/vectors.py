"""Word vectors in the cloze data's own segmentation.

The word2vec stage learns its vocabulary from text segmented by the mined lexicon, so it often
cuts the words the cloze files use differently: only a third of the CMRC 2017 validation answers
(啄木鸟, 小熊, 狐狸...) have a vector there. The reader reads words as the 1998 corpus and the
CMRC files segment them, so it can start from skip-gram vectors trained on exactly those words:
the 1998 corpus's gold segmentation (its news vocabulary) and the CFT children's stories of the
training items (the stories' vocabulary). With ``from_passages: true`` they also learn from the
sentences of the CMRC 2017 validation passages the reader will be scored on (never an answer, the
sentence holding the blank left out): unsupervised, but transductive, so the stage records it in
``info.json`` and the reader's metrics say that its score read validation text.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zhpipe.cloze.data import TEXT_FILE, passage_sentences, read_doc_query
from zhpipe.cloze.params import VectorsParams
from zhpipe.corpus.text import CorpusError
from zhpipe.fsutil import write_json


def train_vectors(sentences: Sequence[list[str]], *, dim: int, window: int, negative: int,
                  epochs: int, min_count: int, seed: int
                  ) -> tuple[list[str], np.ndarray]:
    """Skip-gram vectors (gensim, one thread: the same vectors on every run) for the words seen
    at least ``min_count`` times, most frequent first; ``([], empty)`` when there is none."""
    from zhpipe.embeddings.gensim_w2v import train_gensim

    counts = Counter(w for s in sentences for w in s)
    words = [w for w, n in counts.most_common() if n >= min_count]
    if not words:
        return [], np.zeros((0, dim), np.float32)
    vectors, _ = train_gensim(list(sentences), words, dim=dim, window=window, negative=negative,
                              sample=1e-3, epochs=epochs, alpha=0.025, min_alpha=1e-4,
                              seed=seed, min_count=min_count, workers=1)
    return words, vectors.astype(np.float32)


VECTORS = "vectors.npz"
INFO = "info.json"  # how the vectors were made (read by train_cloze)


def answer_coverage(words: Sequence[str], cmrc: Path) -> dict:
    """The share of the CMRC 2017 validation answers (and of the distinct ones) that have a
    vector: the answers are read for this figure only, never for the vectors."""
    from zhpipe.cloze.data import read_answers

    path = cmrc / "cloze.valid.answer"
    if not path.exists():
        return {}
    answers = list(read_answers(path).values())
    vocab = set(words)
    distinct = set(answers)
    return {"valid_answers_covered": round(100 * sum(a in vocab for a in answers)
                                           / max(len(answers), 1), 2),
            "valid_distinct_answers_covered": round(100 * len(distinct & vocab)
                                                    / max(len(distinct), 1), 2)}


def make_vectors(p: VectorsParams, items: Path, cmrc: Path, word2vec: Path | None,
                 out: Path) -> dict:
    """Write ``out/vectors.npz`` (possibly empty: ``source: none``)."""
    from zhpipe.embeddings.io import save_npz

    info: dict = {"source": p.source}
    words: list[str] = []
    vectors = np.zeros((0, p.dim), np.float32)
    if p.source == "word2vec":
        from zhpipe.corpus.checksum import sha256_file
        from zhpipe.embeddings.io import load_npz

        if not (word2vec and word2vec.exists()):
            # not a DAG dep: the default `own` must not wait for the word2vec stage
            raise CorpusError(
                f"cloze_vectors.source: word2vec needs the word2vec stage's vectors "
                f"({word2vec or '--word2vec'}): run `snakemake --cores N word2vec` (or "
                "`dvc repro word2vec`) first, or set cloze_vectors.source: own")
        words, vectors, _ = load_npz(word2vec)
        info.update(file=str(word2vec), sha256=sha256_file(word2vec))
    elif p.source == "own":
        t0 = time.perf_counter()
        lines = (items / TEXT_FILE).read_text(encoding="utf-8").splitlines()
        text = [line.split() for line in lines]
        if p.from_passages:  # unsupervised: passage sentences, never a query or an answer
            text += passage_sentences(read_doc_query(cmrc / "cloze.valid.doc_query"))
        words, vectors = train_vectors(text, dim=p.dim, window=5, negative=5, epochs=p.epochs,
                                       min_count=p.min_count, seed=p.seed)
        info.update(from_passages=p.from_passages, sentences=len(text),
                    seconds=round(time.perf_counter() - t0, 1))
    save_npz(out / VECTORS, words, vectors, np.zeros(len(words), np.int64))
    info["words"] = len(words)
    info.update(answer_coverage(words, cmrc))
    info["reads_validation_text"] = bool(p.source == "own" and p.from_passages)
    write_json(out / INFO, info)
    return info
