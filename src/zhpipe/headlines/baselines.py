"""Trivial headline baselines: the lead of the text, and retrieval from the training pairs.

* ``first_sentence``: the text up to its first 。！？ (the end mark dropped);
* ``first_chars``: its first N characters (N: the mean training headline length, rounded);
* ``first_clause``: up to the first ，。！？；：;
* ``retrieval``: the headline of the most similar training text: TF-IDF over the character
  bigrams of the first ``chars`` characters (scikit-learn), cosine similarity. Every headline it
  writes is a training headline, so its share copied verbatim from training is 100%.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_SENTENCE = re.compile(r"[。！？!?]")
_CLAUSE = re.compile(r"[，。！？；：,!?;:]")


def first_sentence(text: str) -> str:
    m = _SENTENCE.search(text)
    return text[:m.start()] if m else text


def first_clause(text: str) -> str:
    m = _CLAUSE.search(text)
    return text[:m.start()] if m and m.start() else first_sentence(text)


def first_chars(text: str, n: int) -> str:
    return text[:n]


class Retrieval:
    """Nearest training text by TF-IDF over character bigrams; answers its headline."""

    def __init__(self, texts: Sequence[str], headlines: Sequence[str], chars: int = 300):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.chars = chars
        self.headlines = list(headlines)
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True,
                                          dtype=np.float32)
        self.matrix = self.vectorizer.fit_transform([t[:chars] for t in texts])

    def __call__(self, texts: Sequence[str], batch: int = 512) -> list[str]:
        out = []
        for i in range(0, len(texts), batch):
            q = self.vectorizer.transform([t[:self.chars] for t in texts[i:i + batch]])
            sims = (q @ self.matrix.T).toarray()  # rows are L2-normalised: cosine
            out.extend(self.headlines[j] for j in sims.argmax(1))
        return out


def lead_baselines(texts: Sequence[str], n_chars: int) -> dict[str, list[str]]:
    """The three lead baselines' outputs, by name."""
    return {"first_sentence": [first_sentence(t) for t in texts],
            f"first_{n_chars}_chars": [first_chars(t, n_chars) for t in texts],
            "first_clause": [first_clause(t) for t in texts]}
