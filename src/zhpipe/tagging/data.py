"""Sequence-labelling data: BMES and BIO tags, vocabularies, features, batches.

* Segmentation: each character of a word gets B (begin), M (middle), E (end), or S (a word of
  one character).
* Names: the 1998 tags nr (person), ns (place), nt (organisation) become BIO entities PER, LOC,
  ORG; a surname and a given name (江/nr 泽民/nr) form one PER entity.
* Features per character: its id, the id of the bigram it starts, and, from a lexicon, whether a
  word of length 2, 3 or 4 starts or ends here (6 binary flags). A ``LexiconStack`` puts several
  lexicons' flags side by side (the mined lexicon's, a dictionary's: see ``dictionary.py``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEG_TAGS = ["B", "M", "E", "S"]
NER_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
NER_TYPES = {"nr": "PER", "ns": "LOC", "nt": "ORG"}
PAD, UNK = 0, 1
LEX_LENGTHS = (2, 3, 4)


def words_to_bmes(words: Sequence[str]) -> list[str]:
    tags = []
    for w in words:
        tags.extend(["S"] if len(w) == 1 else ["B"] + ["M"] * (len(w) - 2) + ["E"])
    return tags


def bmes_to_words(chars: str, tags: Sequence[str]) -> list[str]:
    """Rebuild words; an ill-formed sequence still yields every character (a word starts at B
    or S, or after E/S)."""
    words, cur = [], ""
    for ch, t in zip(chars, tags, strict=True):
        if t in ("B", "S") and cur:
            words.append(cur)
            cur = ""
        cur += ch
        if t in ("E", "S"):
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    return words


def pos_to_bio(tokens: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """``[(word, tag)]`` of a 1998 sentence -> (characters, BIO tags over characters)."""
    chars, tags = [], []
    prev_type = None
    for word, tag in tokens:
        typ = NER_TYPES.get(tag)
        cont = typ == "PER" and prev_type == "PER"  # surname + given name
        for i, ch in enumerate(word):
            chars.append(ch)
            if typ is None:
                tags.append("O")
            elif i == 0 and not cont:
                tags.append(f"B-{typ}")
            else:
                tags.append(f"I-{typ}")
        prev_type = typ
    return "".join(chars), tags


@dataclass
class Vocab:
    chars: dict[str, int]
    bigrams: dict[str, int]

    @classmethod
    def build(cls, texts: Iterable[str], min_bigram: int = 2) -> Vocab:
        c, b = Counter(), Counter()
        for t in texts:
            c.update(t)
            b.update(t[i:i + 2] for i in range(len(t) - 1))
        chars = {ch: i + 2 for i, (ch, _) in enumerate(c.most_common())}
        bigrams = {bg: i + 2 for i, (bg, n) in enumerate(b.most_common()) if n >= min_bigram}
        return cls(chars, bigrams)

    def save(self, path: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        write_json(path, {"chars": self.chars, "bigrams": self.bigrams})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocab:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
        return cls(d["chars"], d["bigrams"])


class LexiconFlags:
    """Word-boundary flags from a lexicon: does a word of length k start / end at each char?

    ``lengths`` are the word lengths looked at (2, 3 and 4 by default); the flags are
    ``2 * len(lengths)`` per character: start and end for each length in turn."""

    def __init__(self, words: Iterable[str], lengths: Sequence[int] = LEX_LENGTHS):
        words = list(words)  # iterated once per length
        self.lengths = tuple(int(k) for k in lengths)
        self.words = {k: {w for w in words if len(w) == k} for k in self.lengths}
        self._tables: dict | None = None

    @property
    def width(self) -> int:
        return 2 * len(self.lengths)

    def tables(self):
        """Per length, a hash index of the words' code-point keys (built once)."""
        if self._tables is None:
            from zhpipe.mining.segmenter import Keyer, KeyTable

            keyer = Keyer(_MAXCP)
            self._tables = {}
            for k, ws in self.words.items():
                rows = np.array([[ord(c) for c in w] for w in sorted(ws)],
                                dtype=np.int64).reshape(-1, k)
                self._tables[k] = KeyTable(keyer.rows(rows) if len(rows) else
                                           np.zeros(0, np.uint64))
            self._keyer = keyer
        return self._tables, self._keyer

    def flags_codes(self, cps: np.ndarray, text_id: np.ndarray,
                    windows: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """Flags over a code-point array; a word never spans two texts (``text_id``).
        ``windows`` caches the keys of every window per length (shared by a stack's groups:
        every group keys code points the same way)."""
        n = len(cps)
        out = np.zeros((n, self.width), dtype=np.float32)
        tables, keyer = self.tables()
        windows = {} if windows is None else windows
        for j, k in enumerate(self.lengths):
            if n < k or tables[k].size == 0:
                continue
            if k not in windows:
                windows[k] = keyer.windows(cps, k)
            hit = tables[k].positions(windows[k]) >= 0
            hit &= text_id[: n - k + 1] == text_id[k - 1:]
            starts = np.flatnonzero(hit)
            out[starts, 2 * j] = 1.0
            out[starts + k - 1, 2 * j + 1] = 1.0
        return out

    def flags(self, text: str) -> np.ndarray:
        cps = _codes(text)
        return self.flags_codes(cps, np.zeros(len(cps), np.int64))

    def to_json(self) -> dict:
        return {"lengths": list(self.lengths),
                "words": sorted(w for ws in self.words.values() for w in ws)}

    @classmethod
    def from_json(cls, d: dict) -> LexiconFlags:
        return cls(d["words"], d["lengths"])


class LexiconStack:
    """Several lexicons' flags side by side, in a fixed order: for example the mined lexicon's,
    then a dictionary's, then one per name type of the dictionary (person, place, organisation
    words). Each group keeps its own lengths."""

    def __init__(self, groups: dict[str, LexiconFlags]):
        if not groups:
            raise ValueError("a lexicon stack needs at least one lexicon")
        self.groups = dict(groups)

    @property
    def width(self) -> int:
        return sum(g.width for g in self.groups.values())

    def flags_codes(self, cps: np.ndarray, text_id: np.ndarray) -> np.ndarray:
        windows: dict[int, np.ndarray] = {}  # each length's window keys, computed once
        return np.concatenate([g.flags_codes(cps, text_id, windows)
                               for g in self.groups.values()], axis=1)

    def flags(self, text: str) -> np.ndarray:
        cps = _codes(text)
        return self.flags_codes(cps, np.zeros(len(cps), np.int64))

    def save(self, path: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        # a list: the order of the groups is the order of the model's input flags
        write_json(path, [{"name": name, **g.to_json()} for name, g in self.groups.items()])

    @classmethod
    def load(cls, path: str | os.PathLike) -> LexiconStack:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls({g["name"]: LexiconFlags.from_json(g) for g in d})


_MAXCP = 0x110000


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _vocab_tables(vocab: Vocab):
    """Code point -> character id, and a hash index of bigram keys (cp1 * 0x110000 + cp2)."""
    if getattr(vocab, "_tables", None) is None:
        from zhpipe.mining.segmenter import KeyTable

        lut = np.full(_MAXCP, UNK, dtype=np.int32)
        for ch, i in vocab.chars.items():
            lut[ord(ch)] = i
        keys = np.array([ord(b[0]) * _MAXCP + ord(b[1]) for b in vocab.bigrams], dtype=np.int64)
        ids = np.array(list(vocab.bigrams.values()), dtype=np.int32)
        vocab._tables = (lut, KeyTable(keys.astype(np.uint64)), ids)
    return vocab._tables


def encode_many(texts: Sequence[str], vocab: Vocab, lex: LexiconFlags | LexiconStack | None
                ) -> list[dict[str, np.ndarray]]:
    """Features of many texts at once (vectorised over the concatenated text)."""
    if not texts:  # e.g. only empty lines to tag
        return []
    lut, bigram_table, bigram_ids = _vocab_tables(vocab)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    cps = _codes("".join(texts))
    n = len(cps)
    # the last character of each text starts no bigram (and no word crosses texts)
    ends = np.cumsum(lengths)
    last = np.zeros(n, dtype=bool)
    last[ends[lengths > 0] - 1] = True
    chars = lut[cps]
    big = np.full(n, PAD, dtype=np.int32)
    if n > 1 and len(bigram_ids) == 0:
        big[:-1] = UNK  # no bigram occurred often enough to get its own id
    elif n > 1:
        pos = bigram_table.positions((cps[:-1] * _MAXCP + cps[1:]).astype(np.uint64))
        big[:-1] = np.where(pos >= 0, bigram_ids[np.maximum(pos, 0)], UNK)
    big[last] = PAD
    if lex is not None:
        flags = lex.flags_codes(cps, np.repeat(np.arange(len(texts)), lengths))
    else:
        flags = np.zeros((n, 2 * len(LEX_LENGTHS)), np.float32)
    out = []
    for a, b in zip(np.r_[0, ends[:-1]].tolist(), ends.tolist(), strict=True):
        out.append({"chars": chars[a:b], "bigrams": big[a:b], "lexicon": flags[a:b]})
    return out


def encode(text: str, vocab: Vocab, lex: LexiconFlags | LexiconStack | None) -> dict[str, np.ndarray]:
    return encode_many([text], vocab, lex)[0]


def pad_batch(items: list[dict[str, np.ndarray]], labels: list[np.ndarray] | None = None):
    t = max(len(it["chars"]) for it in items)
    b = len(items)
    x = {"chars": np.zeros((b, t), np.int32), "bigrams": np.zeros((b, t), np.int32),
         "lexicon": np.zeros((b, t, items[0]["lexicon"].shape[1]), np.float32)}
    for i, it in enumerate(items):
        n = len(it["chars"])
        for k in x:
            x[k][i, :n] = it[k]
    if labels is None:
        return x
    y = np.full((b, t), -1, np.int32)
    for i, lab in enumerate(labels):
        y[i, :len(lab)] = lab
    return x, y


def mend_cut(tags: Sequence[str]) -> list[str]:
    """The tags of a piece cut out of a longer labelled text, made a valid sequence: a word or
    name cut at the piece's edge becomes a whole one there (M/E at the start become B/S, B/M at
    the end become S/E, I-X at the start becomes B-X). The CRF's hard constraints give an
    invalid sequence a loss of about 1e4, which would swamp its batch's loss."""
    t = list(tags)
    if t and t[0] in ("M", "E"):
        t[0] = "B" if t[0] == "M" else "S"
    if t and t[-1] in ("B", "M"):
        t[-1] = "S" if t[-1] == "B" else "E"
    if t and t[0].startswith("I-"):
        t[0] = "B-" + t[0][2:]
    return t


def split_for_model(text: str, max_len: int) -> list[str]:
    """Pieces of at most ``max_len`` characters, cut after sentence punctuation when possible
    (the pieces are tagged separately and rejoined: nothing is truncated)."""
    if len(text) <= max_len:
        return [text]
    pieces, start = [], 0
    while start < len(text):
        end = min(start + max_len, len(text))
        if end < len(text):
            cut = max(text.rfind(p, start, end) for p in "。！？；，、")
            if cut > start:
                end = cut + 1
        pieces.append(text[start:end])
        start = end
    return pieces


#: SIGHAN training sets: blocks of this many consecutive sentences, every tenth held out for dev.
DEV_BLOCK = 50


def read_segmented_lines(path: str | os.PathLike, limit: int | None = None) -> list[list[str]]:
    with open(path, encoding="utf-8") as fh:
        out = [line.split() for line in fh.read().splitlines() if line.strip()]
    return out[:limit] if limit else out


def segmentation_corpus(name: str, pd1998: Path, sighan: Path, limit: int | None = None
                        ) -> tuple[list[list[str]], list[list[str]]]:
    """(train, dev) segmented sentences: the 1998 corpus's prepared splits, or an official
    SIGHAN 2005 training set (``pku`` or ``msr``) with every tenth block of ``DEV_BLOCK``
    sentences held out for early stopping. ``limit`` caps the training sentences."""
    from zhpipe.corpus.text import CorpusError

    if name == "pd1998":
        return (read_segmented_lines(pd1998 / "train.seg.txt", limit),
                read_segmented_lines(pd1998 / "dev.seg.txt"))
    path = sighan / f"{name}_training.seg.txt"
    if not path.exists():
        raise CorpusError(
            f"train_seg.seg_train: {name} needs {path}, the official SIGHAN 2005 {name.upper()} "
            "training set. It is not in the offline mirror: set download.fetch_optional: true on "
            "a machine that reaches sighan.cs.uchicago.edu and rerun, or use seg_train: pd1998")
    sents = read_segmented_lines(path)
    held = [(i // DEV_BLOCK) % 10 == 9 for i in range(len(sents))]
    train = [s for s, h in zip(sents, held, strict=True) if not h]
    dev = [s for s, h in zip(sents, held, strict=True) if h]
    if not train or not dev:
        raise CorpusError(f"{path}: {len(sents)} sentences, too few for a train and a dev split "
                          f"(every tenth block of {DEV_BLOCK} is the dev split)")
    return (train[:limit] if limit else train), dev
