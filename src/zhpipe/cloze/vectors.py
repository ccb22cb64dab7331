"""Word vectors in the cloze data's own segmentation.

The word2vec stage learns its vocabulary from text segmented by the mined lexicon, so it often
cuts the words the cloze files use differently: only a third of the CMRC 2017 validation answers
(啄木鸟, 小熊, 狐狸...) have a vector there. The reader reads words as the 1998 corpus and the
CMRC files segment them, so it can start from skip-gram vectors trained on exactly those words:
the 1998 corpus's gold segmentation (its news vocabulary) and the sentences of the passages the
reader will read (the stories' vocabulary). Only passage text is used, never an answer, and the
sentence holding the blank is left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from zhpipe.cloze.data import BLANK, ClozeItem


def passage_sentences(items: Iterable[ClozeItem]) -> list[list[str]]:
    """The passages' sentences (one per line in the doc_query files), without the ones holding
    the blank; a sentence repeated across passages (one story, several queries) counts once."""
    out: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for it in items:
        for sent in it.passage:
            key = tuple(sent)
            if sent and BLANK not in key and key not in seen:
                seen.add(key)
                out.append(list(sent))
    return out


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
