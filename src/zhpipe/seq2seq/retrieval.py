"""The retrieval floor every generator is judged against: answer with the output of the most
similar training input (TF-IDF over character n-grams, scikit-learn, cosine similarity).

A model that only looks its input up in the training data would score this; a generator has to
beat it on inputs it has not seen, and every answer it gives is copied verbatim from training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Retrieval:
    """Nearest training input by TF-IDF over character n-grams of its first ``chars``
    characters (all when None); answers that input's output."""

    def __init__(self, inputs: Sequence[str], outputs: Sequence[str], chars: int | None = 300,
                 ngrams: tuple[int, int] = (2, 2)):
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not inputs:
            raise ValueError("retrieval needs at least one training pair")
        self.chars = chars
        self.outputs = list(outputs)
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=ngrams, sublinear_tf=True,
                                          dtype=np.float32)
        self.matrix = self.vectorizer.fit_transform([t[:chars] for t in inputs])

    def nearest(self, queries: Sequence[str], batch: int = 256) -> np.ndarray:
        """Index of the nearest training input of each query (the first on ties)."""
        out = []
        for i in range(0, len(queries), batch):
            q = self.vectorizer.transform([t[:self.chars] for t in queries[i:i + batch]])
            sims = (q @ self.matrix.T).toarray()  # rows are L2-normalised: cosine
            out.append(sims.argmax(1))
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def __call__(self, queries: Sequence[str], batch: int = 256) -> list[str]:
        return [self.outputs[j] for j in self.nearest(queries, batch)]
