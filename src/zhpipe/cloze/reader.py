"""A trained cloze reader (and an ensemble of them): answers, candidate probabilities, saving
and loading."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

import zhpipe.layers  # noqa: F401  (registers the custom layers: a saved reader loads anywhere)
from zhpipe.cloze.data import ClozeItem
from zhpipe.cloze.encoding import batch_inputs, encode
from zhpipe.cloze.vocab import WordVocab


def word_mass(probs: np.ndarray, tokens: Sequence[str]) -> dict[str, float]:
    """Each candidate word's probability, summed over its positions; a passage without any
    candidate (punctuation only) still gets its first token, at 0."""
    total: dict[str, float] = {}
    for w, p in zip(tokens, probs[: len(tokens)].tolist(), strict=True):
        if p > 0:
            total[w] = total.get(w, 0.0) + p
    return total or {(tokens[0] if tokens else ""): 0.0}


def pick(probs: np.ndarray, tokens: Sequence[str]) -> tuple[str, float]:
    """The word with the largest summed probability over its positions."""
    total = word_mass(probs, tokens)
    w = max(total, key=total.get)
    return w, total[w]


class Reader:
    """A trained reader with its vocabulary; ``answer(items)`` -> predicted words."""

    def __init__(self, model: keras.Model, vocab: WordVocab, max_doc: int):
        self.model, self.vocab, self.max_doc = model, vocab, max_doc

    def batches(self, items: Sequence[ClozeItem], tokens_per_batch: int):
        encs = [encode(it, self.vocab, self.max_doc) for it in items]
        order = np.argsort([len(e.doc) for e in encs], kind="stable")
        i = 0
        while i < len(order):
            n = len(encs[order[i]].doc)
            size = max(1, tokens_per_batch // max(n, 1))
            ids = order[i:i + size]
            # lengths ascend: the last one is the longest
            while len(ids) > 1 and len(ids) * len(encs[ids[-1]].doc) > tokens_per_batch:
                ids = ids[:-1]
            yield ids, [encs[k] for k in ids]
            i += len(ids)  # (counting from i + size skipped the tail's trimmed items)

    def word_probs(self, items: Sequence[ClozeItem], tokens_per_batch: int = 32768
                   ) -> list[dict[str, float]]:
        """Per item, each candidate word's probability (summed over its positions)."""
        out: list[dict[str, float]] = [{} for _ in items]
        for ids, encs in self.batches(items, tokens_per_batch):
            probs = np.asarray(self.model.predict_on_batch(batch_inputs(encs)))
            for k, e, p in zip(ids, encs, probs, strict=True):
                out[k] = word_mass(p, e.tokens)
        return out

    def answer(self, items: Sequence[ClozeItem], tokens_per_batch: int = 32768
               ) -> list[str]:
        return best(self.word_probs(items, tokens_per_batch))

    def save(self, folder, member: int = 0, members: int = 1) -> None:
        """``folder/reader.keras`` (``reader_K.keras`` for member K of an ensemble)."""
        from zhpipe.fsutil import write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp.{_member_file(member)}"  # Keras wants the .keras suffix
        self.model.save(tmp)
        os.replace(tmp, folder / _member_file(member))
        self.vocab.save(folder / "vocab.json")
        write_json(folder / "reader.meta.json", {"max_doc": self.max_doc, "members": members})

    @classmethod
    def load(cls, folder) -> Reader | Ensemble:
        """The reader saved in ``folder``, or the ensemble of its members."""
        folder = Path(folder)
        path = folder / "reader.keras"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained cloze reader; run the train_cloze stage "
                                    "first (snakemake --cores all train_cloze)")
        meta = json.loads((folder / "reader.meta.json").read_text(encoding="utf-8"))
        vocab = WordVocab.load(folder / "vocab.json")
        readers = [cls(keras.saving.load_model(folder / _member_file(k), compile=False), vocab,
                       meta["max_doc"]) for k in range(meta.get("members", 1))]
        return readers[0] if len(readers) == 1 else Ensemble(readers)


def _member_file(member: int) -> str:
    return "reader.keras" if member == 0 else f"reader_{member}.keras"


class Ensemble:
    """Readers (seeds, encoders) whose candidate probabilities are averaged."""

    def __init__(self, readers: Sequence[Reader]):
        self.readers = list(readers)
        self.vocab = self.readers[0].vocab

    def word_probs(self, items: Sequence[ClozeItem]) -> list[dict[str, float]]:
        return self.average([r.word_probs(items) for r in self.readers])

    def answer(self, items: Sequence[ClozeItem]) -> list[str]:
        return best(self.word_probs(items))

    @staticmethod
    def average(members: Sequence[list[dict[str, float]]]) -> list[dict[str, float]]:
        """Per item, the members' word probabilities averaged."""
        total: list[dict[str, float]] = [{} for _ in members[0]]
        for probs in members:
            for acc, d in zip(total, probs, strict=True):
                for w, x in d.items():
                    acc[w] = acc.get(w, 0.0) + x / len(members)
        return total


def best(word_probs: Sequence[dict[str, float]]) -> list[str]:
    """The most probable word of each item."""
    return [max(d, key=d.get) for d in word_probs]


