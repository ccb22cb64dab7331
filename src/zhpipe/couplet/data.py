"""Couplet data: pairs, the shared character vocabulary, and the decoding constraints.

A couplet's lower line (下联) answers its upper line (上联) position by position, so every model
here writes exactly one character per input character. Three rules hold for every output:

* **length**: the lower line is exactly as long as the upper line;
* **fixed characters**: a character that is not a Chinese ideograph (punctuation, Latin letters,
  digits, symbols) is copied to the same position, and no such character is written anywhere
  else;
* **repetition**: where the upper line repeats a character (e.g. 树 in 晚风摇树树还挺), the lower
  line repeats its own character at the same positions (花 in 晨露润花花更红), and where the upper
  line does not repeat, neither does the lower line (a param can relax this last half);
* **no echo** (a param, on by default): a free position never takes a character of the upper
  line. The reference lines of the public test set never do (0 of 4,000), and a model that
  echoes its input is the commonest failure of couplet generators.

The fixed characters of the upper line are scored by the model like any other (so beams that
fit them well rank higher) but cannot be changed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhpipe.corpus.text import is_han
from zhpipe.errors import UserError

PAD, UNK, BOS = 0, 1, 2
SPECIALS = ["<pad>", "<unk>", "<s>"]


class CoupletError(UserError, ValueError):
    """Input a couplet model cannot answer (empty line, too long); the message says why."""




def read_pairs(path: str | os.PathLike, limit: int | None = None) -> tuple[list[tuple[str, str]], int]:
    """``upper\\tlower`` lines -> pairs of equal length; returns (pairs, lines skipped).

    Pairs whose lines differ in length (a handful in the public data) cannot be taught
    position by position, so they are skipped and counted; a line without a tab is an error."""
    pairs, skipped = [], 0
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            upper, sep, lower = line.partition("\t")
            if not sep:
                raise CoupletError(f"{path}:{no}: expected 'upper<TAB>lower', got {line[:40]!r}")
            if len(upper) != len(lower) or not upper:
                skipped += 1
                continue
            pairs.append((upper, lower))
            if limit and len(pairs) >= limit:
                break
    return pairs, skipped


@dataclass
class CharVocab:
    """Characters seen at least ``min_count`` times in the training pairs; ids 0-2 are special."""

    chars: list[str]

    def __post_init__(self):
        self.index = {c: i for i, c in enumerate(self.chars)}
        # what a free (non-fixed) position may produce: ideographs only
        self.free_ok = np.array([i >= len(SPECIALS) and is_han(c)
                                 for i, c in enumerate(self.chars)], bool)

    @classmethod
    def build(cls, lines: Iterable[str], min_count: int = 1) -> CharVocab:
        counts = Counter(ch for line in lines for ch in line)
        kept = sorted((c for c, n in counts.items() if n >= min_count),
                      key=lambda c: (-counts[c], c))
        return cls(SPECIALS + kept)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index.get(c, UNK) for c in text], np.int32)

    def save(self, path: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        write_json(path, {"chars": self.chars})

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharVocab:
        return cls(json.loads(Path(path).read_text(encoding="utf-8"))["chars"])


def constraints(upper: str, vocab: CharVocab) -> tuple[np.ndarray, np.ndarray]:
    """Per position: ``forced`` id (-1 when free) and ``same_as`` (the earlier position whose
    output must be repeated, -1 when none)."""
    forced = np.full(len(upper), -1, np.int64)
    same_as = np.full(len(upper), -1, np.int64)
    first: dict[str, int] = {}
    for i, ch in enumerate(upper):
        if not is_han(ch):
            forced[i] = vocab.index.get(ch, UNK)
        elif ch in first:
            same_as[i] = first[ch]
        else:
            first[ch] = i
    return forced, same_as


def render(upper: str, ids: Sequence[int], vocab: CharVocab) -> str:
    """Output ids -> the lower line; fixed positions show the upper line's own character."""
    return "".join(u if not is_han(u) else vocab.chars[i]
                   for u, i in zip(upper, ids, strict=True))


def check_upper(upper: str, max_len: int) -> str:
    """Validate one input line (stripped); raises CoupletError with what to do."""
    upper = upper.strip()
    if not upper:
        raise CoupletError("empty upper line: type the 上联 to answer")
    if len(upper) > max_len:
        raise CoupletError(f"upper line of {len(upper)} characters is longer than the model's "
                           f"maximum {max_len}; split it at its punctuation")
    if any(ch.isspace() for ch in upper):
        upper = "".join(upper.split())
    return upper


#: Training batches pad each line to the next of these lengths (masked: the model reads and is
#: scored on the real positions only), and every batch of one padded length has the same number
#: of rows, so that a run compiles (JAX, XLA) or traces (TensorFlow) about a dozen batch shapes
#: rather than one or two per distinct line length (58 compilations for the seq2seq model on
#: 1,000 pairs before). Couplets are mostly 5 and 7 characters: those are not padded.
LENGTH_BOUNDS = (5, 7, 9, 11, 13, 16, 20, 24, 32, 40, 48, 64)


def padded_length(n: int) -> int:
    return next((b for b in LENGTH_BOUNDS if b >= n), n)


def shape_buckets(lengths: Sequence[int], tokens_per_batch: int, seed: int | None = None
                  ) -> list[tuple[int, np.ndarray]]:
    """``(padded length L, indices)`` batches: lines padded to :func:`padded_length`, each
    batch of length L with ``tokens_per_batch // L`` rows, the last one of each length
    completed with ``-1`` (an empty row, all padding); batch order shuffled when ``seed`` is
    given."""
    padded = np.array([padded_length(int(n)) for n in lengths], dtype=np.int64)
    rng = np.random.default_rng(seed) if seed is not None else None
    batches = []
    for n in np.unique(padded):
        ids = np.flatnonzero(padded == n)
        if rng is not None:
            rng.shuffle(ids)
        rows = max(1, tokens_per_batch // int(n))
        for i in range(0, len(ids), rows):
            chunk = ids[i:i + rows]
            if len(chunk) < rows:
                chunk = np.concatenate([chunk, np.full(rows - len(chunk), -1, chunk.dtype)])
            batches.append((int(n), chunk))
    if rng is not None:
        order = rng.permutation(len(batches))
        batches = [batches[i] for i in order]
    return batches


def pad_rows(seqs: Sequence[np.ndarray], ids: np.ndarray, length: int) -> np.ndarray:
    """``(len(ids), length)`` int32 ids, PAD-filled; a ``-1`` index is an all-PAD row."""
    out = np.full((len(ids), length), PAD, np.int32)
    for row, i in enumerate(ids):
        if i >= 0:
            out[row, :len(seqs[i])] = seqs[i]
    return out


def length_buckets(lengths: Sequence[int], tokens_per_batch: int, seed: int | None = None
                   ) -> list[np.ndarray]:
    """Indices grouped by exact length (no padding at all), cut into batches of at most
    ``tokens_per_batch`` characters; batch order shuffled when ``seed`` is given."""
    lengths = np.asarray(lengths)
    batches = []
    for n in np.unique(lengths):
        ids = np.flatnonzero(lengths == n)
        size = max(1, tokens_per_batch // max(int(n), 1))
        batches.extend(ids[i:i + size] for i in range(0, len(ids), size))
    if seed is not None:
        rng = np.random.default_rng(seed)
        rng.shuffle(batches)
    return batches
