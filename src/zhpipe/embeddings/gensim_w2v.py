"""Word2Vec with gensim (the CPU engine), with the same params and outputs as the Keras one."""

from __future__ import annotations

import time

import numpy as np


def train_gensim(sentences: list[list[str]], words: list[str], *, dim: int, window: int,
                 negative: int, sample: float, epochs: int, alpha: float, min_alpha: float,
                 seed: int, min_count: int, workers: int, cbow: bool = False,
                 ) -> tuple[np.ndarray, dict]:
    """Train gensim's Word2Vec; return vectors in the order of ``words`` and its own count of
    effective words/s (words after subsampling, as gensim reports them). With ``workers=1``
    the vectors are the same on every run with the same seed; more threads race."""
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=dim, window=window, negative=negative, sample=sample,
                     alpha=alpha, min_alpha=min_alpha, seed=seed, min_count=min_count,
                     workers=workers, sg=0 if cbow else 1, hs=0)
    model.build_vocab(sentences)
    t0 = time.perf_counter()
    effective, _raw = model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    seconds = time.perf_counter() - t0
    kv = model.wv
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise ValueError(f"gensim's vocabulary lacks {len(missing)} word(s), e.g. {missing[:3]}")
    vectors = np.stack([kv[w] for w in words])
    return vectors, {"effective_words": int(effective), "seconds": seconds,
                     "words_per_sec": effective / seconds if seconds else 0.0,
                     "backend": "gensim"}
