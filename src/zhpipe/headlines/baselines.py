"""Trivial headline baselines: the lead of the text, and retrieval from the training pairs.

* ``first_sentence``: the text up to its first 。！？ (the end mark dropped);
* ``first_chars``: its first N characters (N: the mean training headline length, rounded);
* ``first_clause``: up to the first ，。！？；：;
* ``retrieval``: the headline of the most similar training text: TF-IDF over the character
  bigrams of the first ``chars`` characters (:class:`zhpipe.seq2seq.retrieval.Retrieval`). Every headline it
  writes is a training headline, so its share copied verbatim from training is 100%.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhpipe.seq2seq.retrieval import Retrieval

__all__ = ["Retrieval", "first_chars", "first_clause", "first_sentence", "lead_baselines"]

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


def lead_baselines(texts: Sequence[str], n_chars: int) -> dict[str, list[str]]:
    """The three lead baselines' outputs, by name."""
    return {"first_sentence": [first_sentence(t) for t in texts],
            f"first_{n_chars}_chars": [first_chars(t, n_chars) for t in texts],
            "first_clause": [first_clause(t) for t in texts]}
