"""The word2vec stage's work: the training corpus, the engine, the outputs and the evaluation."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from zhpipe.embeddings.evaluate import evaluate_analogies, neighbours, project_2d, read_analogies
from zhpipe.embeddings.io import save_npz, save_text, save_vocab
from zhpipe.embeddings.vocab import EmbeddingError, Vocab
from zhpipe.params import Section

log = logging.getLogger(__name__)


class Word2VecParams(Section):
    engine: Literal["auto", "keras", "gensim"] = "auto"
    input: Literal["mined", "gold"] = "mined"
    extra_corpora: bool = True
    user_files: list[str] = Field(default_factory=list)
    mode: Literal["skipgram", "cbow"] = "skipgram"
    dim: int = Field(default=100, ge=2, le=2048)
    window: int = Field(default=5, ge=1, le=50)
    negative: int = Field(default=5, ge=1, le=64)
    sample: float = Field(default=1e-3, ge=0.0)
    min_count: int = Field(default=5, ge=1)
    epochs: int = Field(default=5, ge=1)
    alpha: float = Field(default=0.025, gt=0)
    min_alpha: float = Field(default=0.0001, ge=0)
    seed: int = 1
    workers: int = Field(default=1, ge=1)
    batch_size: int = Field(default=4096, ge=1)
    shared_negatives: int = Field(default=64, ge=1)
    steps_per_execution: int = Field(default=32, ge=1)
    char_vectors: bool = True
    probe_words: list[str]  # no default: the list lives in params.yaml
    projection_groups: dict[str, list[str]]


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


def run(sentences: list[list[str]], p, out: Path, ca8: Path, plot: Path | None) -> dict:
    """Train word (and character) vectors, write them, evaluate; return the metrics."""
    out.mkdir(parents=True, exist_ok=True)
    engine = choose_engine(p.engine)
    vocab = Vocab.build(sentences, p.min_count)
    log.info("training %s word vectors: %d words, %d tokens", engine, len(vocab),
             int(vocab.counts.sum()))
    vectors, stats = train(sentences, vocab, p, engine)
    save_text(out / "vectors.txt", vocab.words, vectors)
    save_npz(out / "vectors.npz", vocab.words, vectors, vocab.counts)
    save_vocab(out / "vocab.tsv", vocab.words, vocab.counts)
    metrics = {"engine": engine, "backend": stats["backend"], "vocabulary": len(vocab),
               "tokens": int(vocab.counts.sum()),
               "effective_words": stats["effective_words"],
               "train_seconds": round(stats["seconds"], 2),
               "words_per_sec": round(stats["words_per_sec"])}
    metrics["ca8"] = evaluate_ca8(vocab.words, vectors, ca8)
    metrics["neighbours"] = {}
    for w in p.probe_words:
        try:
            metrics["neighbours"][w] = [x for x, _ in neighbours(vocab.words, vectors, w, 8)]
        except KeyError:
            metrics["neighbours"][w] = []
    if plot is not None:
        metrics["projection"] = plot_projection(vocab.words, vectors, p.projection_groups, plot)
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


def evaluate_ca8(words: list[str], vectors: np.ndarray, folder: Path) -> dict:
    result = {}
    total_q = total_cov = 0
    for name in ("morphological", "semantic"):
        path = folder / f"{name}.txt"
        if not path.exists():
            continue
        r = evaluate_analogies(words, vectors, read_analogies(path))
        result[name] = r
        total_q += r["questions"]
        total_cov += r["covered"]
    result["coverage"] = total_cov / total_q if total_q else 0.0
    return result


def _cjk_font():
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("CJK", "Han Sans", "Hei", "WenQuanYi", "Ming", "Song")):
            return f.name
    return None


def plot_projection(words: list[str], vectors: np.ndarray, groups: dict[str, list[str]],
                    path: Path) -> dict:
    """PCA of a few word groups; labels in Chinese when a CJK font exists, else numbered (the
    numbers are returned with the words, for the report)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zhpipe.fsutil import atomic_write

    index = {w: i for i, w in enumerate(words)}
    chosen = [(g, w) for g, ws in groups.items() for w in ws if w in index]
    font = _cjk_font()
    if font:
        plt.rcParams["font.family"] = font
    fig, ax = plt.subplots(figsize=(7, 5))
    labels = {}
    if len(chosen) < 3:  # the declared output is always written, saying why it is empty
        ax.text(0.5, 0.5, f"only {len(chosen)} of the group words are in the vocabulary",
                ha="center", va="center", transform=ax.transAxes)
        groups = {}
    else:
        xy = project_2d(vectors[[index[w] for _, w in chosen]])
    for gi, g in enumerate(groups):
        sel = [i for i, (gg, _) in enumerate(chosen) if gg == g]
        ax.scatter(xy[sel, 0], xy[sel, 1], label=g, color=f"C{gi}")
        for i in sel:
            text = chosen[i][1] if font else str(i)
            labels[str(i)] = chosen[i][1]
            ax.annotate(text, xy[i], fontsize=8, xytext=(2, 2), textcoords="offset points")
    if groups:
        ax.legend()
    ax.set_title("Word vectors, first two principal components")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return {"plotted": len(chosen) if groups else 0, "labels": labels if not font else {}}
