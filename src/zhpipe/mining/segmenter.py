"""Maximum-probability unigram segmentation with a lexicon, vectorised over a whole corpus.

For a run of word characters c_1..c_T (text between punctuation), the segmentation maximises the
sum of log p(w) over its words (a unigram language model); dynamic programming over positions::

    best[t] = max_{k <= K} best[t - k] + log p(c_{t-k+1..t}),   best[0] = 0

Every position of every run in the corpus is processed at once: step t updates position t of all
runs longer than t, and each candidate word is looked up by a packed integer key (symbols of b
bits, ``k * b <= 64``; longer words use a 64-bit hash) with ``np.searchsorted`` in a sorted key
table per length. The Python loop runs over positions within a run (and word lengths), never over
characters of the corpus.

Text handling (``segment_lines``): a run of ASCII digits or of Latin letters is one unit (never
split), each punctuation mark is its own word (a run of one repeated mark such as —— or …… is one
word), whitespace separates words and is dropped; characters never seen get a floor probability.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from zhpipe.mining._kernels import build_table, viterbi_starts, viterbi_words
from zhpipe.mining.ngrams import _ALNUM, DIGITS, LATIN, _alnum, _word_table, window_has_cut

_MAXCP = 0x110000
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
_SPACE_CODES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


def word_char_table() -> np.ndarray:
    """Boolean table over code points: True for characters that belong to words."""
    return _word_table()


class Keyer:
    """Integer keys of symbol sequences: packed when they fit in 64 bits, hashed otherwise."""

    def __init__(self, n_symbols: int):
        self.bits = max(1, int(n_symbols).bit_length())

    def packed(self, k: int) -> bool:
        return self.bits * k <= 64

    def combine(self, cols: Sequence[np.ndarray], k: int) -> np.ndarray:
        key = np.zeros(len(cols[0]), dtype=np.uint64)
        if self.packed(k):
            shift = np.uint64(self.bits)
            for c in cols:
                key = (key << shift) | c.astype(np.uint64)
        else:
            with np.errstate(over="ignore"):
                for c in cols:
                    key = (key ^ c.astype(np.uint64)) * _HASH_MUL
        return key

    def windows(self, dense: np.ndarray, k: int) -> np.ndarray:
        """Key of every window of length k: ``out[i]`` covers ``dense[i:i+k]``."""
        m = len(dense) - k + 1
        if m <= 0:
            return np.zeros(0, dtype=np.uint64)
        return self.combine([dense[j:j + m] for j in range(k)], k)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        return self.combine([rows[:, j] for j in range(rows.shape[1])], rows.shape[1])


class KeyTable:
    """A hash index of integer keys (pandas' khash-based Index: several times faster than a
    binary search over millions of lookups)."""

    def __init__(self, keys: np.ndarray):
        import pandas as pd

        self.index = pd.Index(np.asarray(keys, dtype=np.uint64))
        self.size = len(keys)

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key in the table, -1 where absent."""
        if self.size == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        return self.index.get_indexer(keys)


class UnigramSegmenter:
    """A lexicon of words with log-probabilities, and the fast segmentation over it."""

    def __init__(self, words: Sequence[str], logprobs: Sequence[float], unk_logprob: float,
                 max_word_len: int | None = None):
        words = list(words)
        logprobs = np.asarray(logprobs, dtype=np.float64)
        if len(words) != len(logprobs):
            raise ValueError("words and logprobs differ in length")
        cps = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
        codes = np.unique(cps)
        alphabet = [chr(c) for c in codes.tolist()]
        self.alphabet = alphabet
        self.lut = np.full(_MAXCP, len(alphabet) + 1, dtype=np.int64)  # unknown symbol
        self.lut[codes] = np.arange(1, len(alphabet) + 1)
        self.lut[0] = 0
        self.keyer = Keyer(len(alphabet) + 1)
        self.unk_logprob = float(unk_logprob)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        self.max_len = int(max(lengths.max(initial=1), 1))
        if max_word_len is not None:
            self.max_len = min(self.max_len, max_word_len)
        self.tables: dict[int, tuple[KeyTable, np.ndarray]] = {}
        self.table_words: dict[int, list[str]] = {}
        # single characters: a direct look-up by dense id
        self.char_logp = np.full(len(alphabet) + 2, self.unk_logprob)
        hashed: list[tuple] = []
        for k in range(1, self.max_len + 1):
            idx = np.flatnonzero(lengths == k)
            if len(idx) == 0:
                continue
            chosen = [words[i] for i in idx]
            rows = self.lut[np.array(chosen, dtype=f"<U{k}").view(np.uint32).reshape(-1, k)]
            if k == 1:
                self.char_logp[rows[:, 0]] = logprobs[idx]
                continue
            keys = self.keyer.rows(rows)
            self.tables[k] = (KeyTable(keys), logprobs[idx])
            self.table_words[k] = chosen
            hashed.append((keys, k, logprobs[idx], chosen))
        self.words, self.logprobs = words, logprobs
        self._hash = None
        if build_table is not None:  # the compiled path: one hash table of every multi-char word
            self.flat_words = [w for *_, ws in hashed for w in ws]
            keys = np.concatenate([h[0] for h in hashed]) if hashed else np.zeros(0, np.uint64)
            lens = np.concatenate([np.full(len(h[0]), h[1], np.int64) for h in hashed]) \
                if hashed else np.zeros(0, np.int64)
            self.flat_logp = np.concatenate([h[2] for h in hashed]) if hashed else np.zeros(0)
            log_size = max(4, int(2 * len(keys) + 1).bit_length())
            self._hash = build_table(keys, lens, log_size)

    @classmethod
    def from_counts(cls, counts: dict[str, float], max_word_len: int | None = None,
                    ) -> UnigramSegmenter:
        total = float(sum(counts.values()))
        words = list(counts)
        logp = np.log(np.array([counts[w] for w in words], dtype=np.float64) / total)
        return cls(words, logp, unk_logprob=float(np.log(0.5 / total)), max_word_len=max_word_len)

    # ------------------------------------------------------------------------- core
    def _scores(self, dense: np.ndarray, positions: dict | None = None) -> dict[int, np.ndarray]:
        """``score[k][i]``: log p of the word of length k ending at position i (-inf if none).

        With a ``positions`` dict, also fills ``positions[k]``: for the window starting at i,
        the index of its word in ``self.table_words[k]`` (-1 if none).
        """
        matrix = self._score_matrix(dense, positions)
        return {k: matrix[k - 1] for k in range(1, self.max_len + 1)}

    def _score_matrix(self, dense: np.ndarray, positions: dict | None = None) -> np.ndarray:
        """:meth:`_scores` as one ``(max_len, n)`` array (row k - 1: words of length k)."""
        n = len(dense)
        matrix = np.full((self.max_len, n), -np.inf)
        matrix[0] = self.char_logp[dense]
        is_cut = dense == 0
        for k in range(2, self.max_len + 1):
            if k in self.tables and n >= k:
                table, logp = self.tables[k]
                pos = table.positions(self.keyer.windows(dense, k))
                found = (pos >= 0) & ~window_has_cut(is_cut, k)
                matrix[k - 1, k - 1:][found] = logp[pos[found]]
                if positions is not None:
                    positions[k] = np.where(found, pos, -1)
        return matrix

    def expected_counts(self, dense: np.ndarray) -> dict[str, float]:
        """Expected word counts under the unigram model (forward-backward over every run)."""
        from zhpipe.mining._kernels import span_posteriors

        if span_posteriors is None:
            raise RuntimeError("soft re-estimation needs numba")
        positions: dict[int, np.ndarray] = {}
        matrix = self._score_matrix(dense, positions)
        matrix[0, dense == 0] = np.nan
        post = span_posteriors(matrix)
        out: dict[str, float] = {}
        chars = np.bincount(dense, weights=post[0], minlength=len(self.alphabet) + 2)
        for i, c in enumerate(self.alphabet):
            if chars[i + 1] > 0:
                out[c] = float(chars[i + 1])
        for k, pos in positions.items():
            ok = pos >= 0
            acc = np.bincount(pos[ok], weights=post[k - 1][k - 1:][ok],
                              minlength=len(self.table_words[k]))
            for j in np.flatnonzero(acc > 0).tolist():
                out[self.table_words[k][j]] = float(acc[j])
        return out

    def word_starts(self, dense: np.ndarray, compiled: bool = True) -> np.ndarray:
        """Boolean array: True where a word starts (dense == 0 marks cuts, never in a word).

        Uses the compiled kernel when numba is there (``compiled``), else the NumPy loop.
        """
        if compiled and self._hash is not None and len(dense):
            return self._viterbi(dense)[0]
        if compiled and viterbi_starts is not None and len(dense):
            matrix = self._score_matrix(dense)
            matrix[0, dense == 0] = np.nan
            return viterbi_starts(matrix)
        n = len(dense)
        starts = np.zeros(n, dtype=bool)
        if n == 0:
            return starts
        is_word = dense != 0
        edges = np.diff(np.r_[0, is_word.astype(np.int8), 0])
        run_start = np.flatnonzero(edges == 1)
        run_len = np.flatnonzero(edges == -1) - run_start
        if len(run_start) == 0:
            return starts
        scores = self._scores(dense)
        order = np.argsort(-run_len, kind="stable")
        run_start, run_len = run_start[order], run_len[order]
        best = np.zeros(n + 1)  # best[p + 1]: best score of the run prefix ending at p
        back = np.ones(n, dtype=np.int64)
        active = len(run_len)
        for t in range(int(run_len[0])):
            while active and run_len[active - 1] <= t:
                active -= 1
            pos = run_start[:active] + t
            cand = np.full((min(self.max_len, t + 1), active), -np.inf)
            for k in range(1, min(self.max_len, t + 1) + 1):
                prev = np.where(t - k + 1 == 0, 0.0, best[pos - k + 1])
                cand[k - 1] = prev + scores[k][pos]
            arg = np.argmax(cand, axis=0)
            best[pos + 1] = cand[arg, np.arange(active)]
            back[pos] = arg + 1
        # Backtrack from the end of every run at once.
        pos = run_start + run_len - 1
        lo = run_start
        alive = np.ones(len(pos), dtype=bool)
        while alive.any():
            p = pos[alive]
            s = p - back[p] + 1
            starts[s] = True
            pos[alive] = s - 1
            alive &= pos >= lo
        return starts

    def dense_codes(self, codes: np.ndarray) -> np.ndarray:
        """Ids here of encoded code points (:func:`zhpipe.mining.ngrams.encode`; cuts stay 0)."""
        dense = self.lut[codes.astype(np.int64)]
        dense[codes == 0] = 0
        return dense

    def viterbi_counts(self, dense: np.ndarray, codes: np.ndarray) -> Counter:
        """Counts of the words of the best segmentation of an encoded corpus (``codes``:
        :func:`zhpipe.mining.ngrams.encode`, ``dense`` their ids here with cuts 0)."""
        if self._hash is not None:
            return self._compiled_counts(dense, codes)
        starts = np.flatnonzero(self.word_starts(dense))
        bounds = np.sort(np.r_[starts, np.flatnonzero(dense == 0), len(dense)])
        ends = bounds[np.searchsorted(bounds, starts, side="right")]
        return count_spans(codes, dense, starts, ends - starts, self.keyer)

    def _viterbi(self, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The compiled Viterbi with its look-ups (:func:`zhpipe.mining._kernels.viterbi_words`):
        where words start, and the multi-character word (index in ``flat_words``) starting there."""
        packed_upto = 64 // self.keyer.bits
        return viterbi_words(np.ascontiguousarray(dense, dtype=np.int64), self.max_len,
                             self.keyer.bits, packed_upto, self._hash, self.flat_logp,
                             self.char_logp)

    def _compiled_counts(self, dense: np.ndarray, codes: np.ndarray) -> Counter:
        """:meth:`viterbi_counts` from the compiled path: word indices counted by bincount,
        single characters by their code points."""
        starts, word = self._viterbi(dense)
        multi = word[starts]
        multi = multi[multi >= 0]
        out: Counter = Counter()
        if len(multi):
            per_word = np.bincount(multi, minlength=len(self.flat_words))
            out.update({self.flat_words[j]: int(per_word[j]) for j in
                        np.flatnonzero(per_word).tolist()})
        single = starts & (word < 0) & (dense != 0)
        cps, n = np.unique(codes[single], return_counts=True)
        out.update(dict(zip(map(chr, cps.tolist()), n.tolist(), strict=True)))
        return out

    # ------------------------------------------------------------------------- text
    def encode_text(self, text: str) -> np.ndarray:
        """Dense ids of ``text`` (placeholders already substituted); non-word characters -> 0."""
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        dense = self.lut[cps]
        dense[~word_char_table()[cps]] = 0
        return dense

    def segment_lines(self, lines: Iterable[str], restore: bool = True) -> list[list[str]]:
        """Segment each line into words (see the module docstring for the text rules).

        With ``restore=False`` digit and Latin runs stay as their placeholder units (as the
        lexicon stores them), which is what lexicon re-estimation counts.
        """
        originals: list[str] = []

        def keep(m: re.Match) -> str:
            originals.append(m.group(0))
            return _alnum(m)

        lines = [line.replace("\n", " ") for line in lines]
        text = _ALNUM.sub(keep, "\n".join(lines))
        if not text:
            return [[] for _ in lines]
        dense = self.encode_text(text)
        starts = self.word_starts(dense)
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        is_word = dense != 0
        space = np.isin(cps, _SPACE_CODES)
        punct = ~is_word & ~space
        # a punctuation mark starts a token unless it repeats the mark before it
        same_prev = np.r_[False, cps[1:] == cps[:-1]]
        starts |= punct & ~(same_prev & np.r_[False, punct[:-1]])
        starts &= ~space
        chars = list(text)
        prev_ok = np.r_[False, ~space[:-1]]  # a token right after a character (not a space)
        for p in np.flatnonzero(starts & prev_ok):
            chars[p] = " " + chars[p]
        for p in np.flatnonzero(space & (cps != 10)):
            chars[p] = " "
        out = "".join(chars)
        if originals and restore:
            it = iter(originals)
            out = re.sub(f"[{DIGITS}{LATIN}]", lambda _: next(it), out)
        return [line.split() for line in out.split("\n")]

    def segment(self, line: str) -> list[str]:
        return self.segment_lines([line])[0]


def count_spans(codes: np.ndarray, dense: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                keyer: Keyer) -> Counter:
    """Count the strings ``codes[s:s+l]`` for the given starts and lengths, vectorised: spans are
    grouped by length, keyed by their symbols, counted with ``np.unique``; only the distinct
    spans are turned into strings."""
    out: Counter = Counter()
    for k in np.unique(lengths).tolist():
        sel = starts[lengths == k]
        cols = [dense[sel + j] for j in range(k)]
        keys = keyer.combine(cols, k)
        _, first, counts = np.unique(keys, return_index=True, return_counts=True)
        firsts = sel[first]
        rows = np.stack([codes[firsts + j] for j in range(k)], axis=1).astype(np.uint32)
        strings = rows.view(f"<U{k}").ravel() if rows.size else []
        out.update(dict(zip(strings.tolist() if len(rows) else [], counts.tolist(), strict=True)))
    return out
