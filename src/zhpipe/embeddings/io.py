"""Word vectors on disk: word2vec text format (gensim-loadable) and a compact ``.npz``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zhpipe.fsutil import atomic_write


def save_text(path: str | os.PathLike, words: list[str], vectors: np.ndarray) -> None:
    """word2vec text format: a ``<count> <dim>`` header, then ``word v1 v2 ...`` lines."""
    with atomic_write(path) as fh:
        fh.write(f"{len(words)} {vectors.shape[1]}\n")
        for w, v in zip(words, vectors, strict=True):
            fh.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")


def save_npz(path: str | os.PathLike, words: list[str], vectors: np.ndarray,
             counts: np.ndarray) -> None:
    """Compact binary form: float32 vectors, int64 counts, words as one newline-joined string
    (no pickle: load with ``allow_pickle=False``)."""
    with atomic_write(path, "wb") as fh:
        np.savez(fh, vectors=vectors.astype(np.float32), counts=counts.astype(np.int64),
                 words=np.array("\n".join(words)))


def load_npz(path: str | os.PathLike) -> tuple[list[str], np.ndarray, np.ndarray]:
    with np.load(Path(path), allow_pickle=False) as z:
        words = str(z["words"])
        return (words.split("\n") if words else []), z["vectors"], z["counts"]


def save_vocab(path: str | os.PathLike, words: list[str], counts: np.ndarray) -> None:
    with atomic_write(path) as fh:
        for w, c in zip(words, counts, strict=True):
            fh.write(f"{w}\t{int(c)}\n")
