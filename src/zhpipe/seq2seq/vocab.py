"""The character vocabulary of a text-to-text model: ids 0-3 are padding, unknown, start, end."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]


@dataclass
class Vocab:
    """The characters kept (``min_count`` times in the training text, the most frequent first)."""

    chars: list[str]

    def __post_init__(self):
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 2, max_size: int | None = None
              ) -> Vocab:
        counts = Counter()
        for t in texts:
            counts.update(t)
        kept = sorted((c for c, n in counts.items() if n >= min_count),
                      key=lambda c: (-counts[c], c))
        if max_size is not None:
            kept = kept[:max(max_size - len(SPECIALS), 0)]
        return cls(SPECIALS + kept)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, max_len: int | None = None) -> np.ndarray:
        ids = [self.index.get(c, UNK) for c in (text if max_len is None else text[:max_len])]
        return np.asarray(ids, np.int32)

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text; stops at the end id, skips the other specials."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.chars[i])
        return "".join(out)

    def unknown_rate(self, texts: Iterable[str]) -> float:
        n = unk = 0
        for t in texts:
            n += len(t)
            unk += sum(c not in self.index for c in t)
        return unk / max(n, 1)

    def save(self, path: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        write_json(path, {"chars": self.chars})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocab:
        with open(path, encoding="utf-8") as fh:
            chars = json.load(fh)["chars"]
        if chars[:len(SPECIALS)] != SPECIALS:
            raise ValueError(f"{path}: not a seq2seq vocabulary (it must start with {SPECIALS})")
        return cls(chars)


def pad_batch(rows: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """Rows of ids -> ``(B, length)`` padded with PAD (length: the longest row)."""
    n = max((len(r) for r in rows), default=0) if length is None else length
    out = np.full((len(rows), max(n, 1)), PAD, np.int32)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r[:n]
    return out
