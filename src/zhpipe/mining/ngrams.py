"""Counting character n-grams with NumPy, shard by shard, and merging the shards exactly.

Text is first cut into *segments* at punctuation and whitespace (no n-gram crosses a cut), and
each run of ASCII digits (``DIGITS``) or of Latin letters and digits (``LATIN``) becomes one unit.
Units are Unicode code points (uint32). For each order ``n`` the n-grams of all segments are the
rows of an ``(m, n)`` array; counting them is a sort (``np.unique``), so a shard costs a few
vectorised passes and memory proportional to the shard, never to the corpus.

A table is a pair of arrays: ``grams`` (k, n) uint32 rows, sorted, and ``counts`` (k,) int64.
Tables of the same order from different shards merge exactly with :func:`merge`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DIGITS = "\ue000"  # placeholder unit for a number: digits, decimal points, a trailing percent
LATIN = "\ue001"  # placeholder unit for a run of Latin letters (and digits)
_ALNUM = re.compile(r"[0-9]+(?:[.:][0-9]+)*[%％‰]?|[A-Za-z][A-Za-z0-9]*")
# Cut at anything that is neither a CJK ideograph, a letter/digit nor a placeholder.
_CUT = re.compile(r"[^\w\ue000\ue001]+|_")
_IS_WORD = re.compile(r"[^\W_]")


def _alnum(m: re.Match) -> str:
    return DIGITS if m.group(0)[0].isdigit() else LATIN


def window_has_cut(is_cut: np.ndarray, k: int) -> np.ndarray:
    """For every window of length k (``out[i]`` covers ``is_cut[i:i+k]``): does it hold a cut?
    A prefix sum: linear, unlike ``sliding_window_view(...).any(axis=1)`` over strided rows."""
    c = np.r_[0, np.cumsum(is_cut, dtype=np.int64)]
    return c[k:] > c[:-k]


def units_ok(word: str) -> bool:
    """At most one number or Latin unit, and only as the first symbol (12月, 3.5％元 but not
    月12日 or 1月1日): a word is not a pattern over numbers."""
    units = word.count(DIGITS) + word.count(LATIN)
    return units == 0 or (units == 1 and word[0] in (DIGITS, LATIN))


def segments(line: str) -> list[str]:
    """``"2001年，我们去了NBA赛场"`` -> ``["\\ue000年", "我们去了\\ue001赛场"]``."""
    return [s for s in _CUT.split(_ALNUM.sub(_alnum, line)) if s]


def encode(lines: Iterable[str]) -> np.ndarray:
    """All segments of ``lines`` as one uint32 code-point array; every cut (punctuation,
    whitespace, line end) is a 0. Same segments as :func:`segments`, in one vectorised pass."""
    text = _ALNUM.sub(_alnum, "\n".join(lines))
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    codes[~_word_table()[codes]] = 0
    return codes


_WORD: np.ndarray | None = None


def _word_table() -> np.ndarray:
    """Code point -> does it belong to a segment (a \\w character or a unit placeholder)."""
    global _WORD
    if _WORD is None:
        table = np.zeros(0x110000, dtype=bool)
        cps = np.r_[np.arange(0xD800), np.arange(0xE000, 0x30000)]
        chars = "".join(map(chr, cps))
        table[cps] = [m is not None for m in map(_IS_WORD.match, chars)]
        table[ord(DIGITS)] = table[ord(LATIN)] = True
        _WORD = table
    return _WORD


@dataclass
class Table:
    order: int
    grams: np.ndarray  # (k, order) uint32, rows sorted
    counts: np.ndarray  # (k,) int64

    def __len__(self) -> int:
        return len(self.counts)

    def as_dict(self) -> dict[str, int]:
        """Strings to counts (for tests and small tables)."""
        return {"".join(map(chr, row)): int(c) for row, c in zip(self.grams, self.counts,
                                                                 strict=True)}

    def total(self) -> int:
        return int(self.counts.sum())


def _unique_rows(rows: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Distinct rows (sorted) and how often each occurs (or the sum of their weights).

    Rows are packed into one uint64 key when their symbols fit (dense ids of ``b`` bits, ``b *
    n <= 64``), so that counting is one integer sort; otherwise the rows are compared as
    big-endian byte strings (same lexicographic order, slower).
    """
    n = rows.shape[1]
    if rows.shape[0] == 0:
        return rows.reshape(0, n), np.zeros(0, dtype=np.int64)
    import pandas as pd

    alphabet = np.sort(pd.unique(rows.ravel()))  # hashing, not sorting all m * n symbols
    bits = max(1, int(len(alphabet) - 1).bit_length())
    if bits * n <= 64:
        lut = np.zeros(int(alphabet[-1]) + 1, dtype=np.uint64)
        lut[alphabet] = np.arange(len(alphabet), dtype=np.uint64)
        keys = np.zeros(len(rows), dtype=np.uint64)
        for j in range(n):  # most significant symbol first: key order = row order
            keys = (keys << np.uint64(bits)) | lut[rows[:, j]]
        # stable sort: timsort merges the already sorted runs of merged tables in linear time
        order = np.argsort(keys, kind="stable")
    else:
        keys = np.ascontiguousarray(rows.astype(">u4")).view(np.dtype((np.void, 4 * n))).ravel()
        order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    uniq = rows[order[starts]]
    if weights is None:
        counts = np.diff(np.r_[starts, len(keys)]).astype(np.int64)
    else:
        counts = np.add.reduceat(weights[order].astype(np.int64), starts)
    return np.ascontiguousarray(uniq, dtype=np.uint32), counts


def count(codes: np.ndarray, order: int, dense_codes: tuple | None = None) -> Table:
    """Count the n-grams of length ``order`` in an encoded array (see :func:`encode`).

    ``dense_codes``: ``np.unique(codes, return_inverse=True)``, when already computed.
    """
    m = len(codes) - order + 1
    if m <= 0:
        return Table(order, np.zeros((0, order), np.uint32), np.zeros(0, np.int64))
    alphabet, dense = dense_codes if dense_codes else np.unique(codes, return_inverse=True)
    bits = max(1, int(len(alphabet) - 1).bit_length())
    windows = np.lib.stride_tricks.sliding_window_view(dense, order)
    # no window crosses a segment cut (code 0; a text without any cut has none, so the cut is
    # not taken to be the alphabet's first symbol)
    valid = ~window_has_cut(codes == 0, order)
    if bits * order > 64:
        grams, counts = _unique_rows(np.lib.stride_tricks.sliding_window_view(codes, order)[valid])
        return Table(order, grams, counts)
    keys = np.zeros(m, dtype=np.uint64)
    for j in range(order):  # most significant symbol first: key order = row order
        keys = (keys << np.uint64(bits)) | windows[:, j].astype(np.uint64)
    keys, counts = np.unique(keys[valid], return_counts=True)
    mask = np.uint64((1 << bits) - 1)
    grams = np.empty((len(keys), order), dtype=np.uint32)
    for j in range(order - 1, -1, -1):
        grams[:, j] = alphabet[(keys & mask).astype(np.int64)]
        keys = keys >> np.uint64(bits)
    return Table(order, grams, counts.astype(np.int64))


def count_lines(lines: Iterable[str], max_order: int) -> dict[int, Table]:
    """Tables for orders 1..max_order over ``lines`` (one shard)."""
    codes = encode(lines)
    dense_codes = np.unique(codes, return_inverse=True) if len(codes) else None
    return {n: count(codes, n, dense_codes) for n in range(1, max_order + 1)}


def merge(tables: Iterable[Table]) -> Table:
    """Merge tables of one order (from several shards) into one; counts add up exactly."""
    tables = list(tables)
    if not tables:
        raise ValueError("nothing to merge")
    order = tables[0].order
    if any(t.order != order for t in tables):
        raise ValueError("cannot merge tables of different orders")
    grams = np.concatenate([t.grams for t in tables])
    weights = np.concatenate([t.counts for t in tables])
    uniq, counts = _unique_rows(grams, weights)
    return Table(order, uniq, counts)


def subtract(table: Table, part: Table) -> Table:
    """``table`` less the counts of ``part`` (text counted inside it): rows left at zero go. A
    row that would go negative (an n-gram that straddled a shard cut in ``table``'s counting)
    goes too."""
    grams = np.concatenate([table.grams, part.grams])
    weights = np.concatenate([table.counts, -part.counts])
    uniq, counts = _unique_rows(grams, weights)
    keep = counts > 0
    return Table(table.order, uniq[keep], counts[keep])


def save(tables: dict[int, Table], path, shard: tuple[int, int] | None = None) -> None:
    """Write tables to an ``.npz`` (no pickle): ``grams_<n>``, ``counts_<n>`` and, for a shard,
    ``shard`` = (index, of)."""
    from zhpipe.fsutil import atomic_write

    arrays = {} if shard is None else {"shard": np.array(shard, dtype=np.int64)}
    for n, t in tables.items():
        arrays[f"grams_{n}"] = t.grams
        arrays[f"counts_{n}"] = t.counts
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)


def shard_of(path) -> tuple[int, int] | None:
    with np.load(path, allow_pickle=False) as z:
        return tuple(int(x) for x in z["shard"]) if "shard" in z.files else None


def load_shards(folder) -> dict[int, Table]:
    """Merge the count shards in ``folder``; they must be exactly shards 0..n-1 of one n."""
    from pathlib import Path

    from zhpipe.corpus.text import CorpusError

    paths = sorted(Path(folder).glob("*.npz"))
    if not paths:
        raise CorpusError(f"{folder}: no count shards (*.npz); run the count_ngrams stages")
    found = {p: shard_of(p) for p in paths}
    ofs = {s[1] for s in found.values() if s}
    idx = sorted(s[0] for s in found.values() if s)
    if None in found.values() or len(ofs) != 1 or idx != list(range(next(iter(ofs)))):
        listing = ", ".join(f"{p.name}={s}" for p, s in found.items())
        raise CorpusError(f"{folder}: the count shards do not form one complete set ({listing}); "
                          "delete stale files left from another count_ngrams.shards setting")
    shards = [load(p) for p in paths]
    return {n: merge(s[n] for s in shards) for n in shards[0]}


def load(path) -> dict[int, Table]:
    with np.load(path, allow_pickle=False) as z:
        orders = sorted(int(k.split("_")[1]) for k in z.files if k.startswith("grams_"))
        return {n: Table(n, z[f"grams_{n}"], z[f"counts_{n}"]) for n in orders}


def count_stream(lines: Iterable[str], max_order: int, batch_chars: int = 4_000_000,
                 ) -> tuple[dict[int, Table], int, int]:
    """Count a stream of lines batch by batch (memory: one batch plus the merged tables).

    Returns the tables, the number of lines and of characters read.
    """
    merged: dict[int, Table] | None = None
    batch: list[str] = []
    size = n_lines = n_chars = 0

    def flush():
        nonlocal merged
        t = count_lines(batch, max_order)
        merged = t if merged is None else {n: merge([merged[n], t[n]]) for n in t}

    for line in lines:
        batch.append(line)
        size += len(line)
        n_lines += 1
        n_chars += len(line)
        if size >= batch_chars:
            flush()
            batch, size = [], 0
    if batch or merged is None:
        flush()
    return merged, n_lines, n_chars


def run_count(p, shard: int, inputs: list[str], out: Path, params_path: str = "params.yaml"
              ) -> dict:
    """Stage ``count_ngrams@<shard>``: count the n-grams of shard ``shard`` of ``len(p.shards)``
    of ``inputs`` (files, or raw_text folders: their parts) into ``out`` (.npz); returns its
    metrics."""
    import time

    from zhpipe.corpus.raw_text import expand
    from zhpipe.mining.corpus_io import shard_lines
    from zhpipe.params import ParamsError

    if sorted(p.shards) != list(range(len(p.shards))):
        raise ParamsError(f"{params_path}: count_ngrams.shards must be 0, 1, ..., n-1; got "
                          f"{p.shards}")
    t0 = time.perf_counter()
    lines = shard_lines(expand(inputs), shard, len(p.shards), p.max_line_chars)
    tables, n_lines, chars = count_stream(lines, p.max_order, p.batch_chars)
    save(tables, out, shard=(shard, len(p.shards)))
    seconds = time.perf_counter() - t0
    return {"lines": n_lines, "characters": chars, "seconds": round(seconds, 2),
            "chars_per_sec": round(chars / seconds) if seconds else 0,
            "distinct": {str(n): len(t) for n, t in tables.items()}}
