"""A Keras 3 cloze reader: CNN, GRU or LSTM encoders, the blank as the query, attention sum.

The model (in the spirit of the Attention Sum Reader of Kadlec et al. 2016, the CMRC 2017
official baseline, and of Su Jianlin's 完形填空 reader):

* words are embedded (optionally starting from pretrained vectors: by default the stage's own
  skip-gram vectors, see ``vectors.py``); a word outside the vocabulary gets one of
  ``oov_slots`` per-passage ids in order of first appearance, so two unknown words stay
  distinguishable and the same unknown word in passage and query shares an id;
* the passage gets six extra features per token: does the word also occur in the query, how
  often it occurs in the passage (log scale), and four context matches with the blank: is the
  word before it the word before the blank in the query (one word, then two words), and the same
  after. Stories repeat their phrases, so the words around a candidate that match the words
  around the blank point at the answer: alone, as a count of matches, that heuristic answers 21%
  of the validation items where the most frequent candidate answers 11% (both without the
  never-answer filter), and with the same word vectors the reader gains 2.4 points from them
  (37.05% -> 39.45%): the encoders do not learn such exact matching from the data there is;
* optionally, Gated-Attention hops (Dhingra et al. 2017): one encoder layer each over passage
  and query, then every passage state is multiplied by its attention-weighted sum of the query
  states;
* a gated CNN (or a BiGRU, or two stacked BiLSTMs) reads the passage, another the query; the
  query vector is the query encoder's state at the blank joined with the passage encoder's
  state at the passage's own blank;
* each passage position scores its dot product with the query vector; a softmax over the
  positions, summed over the positions of each word, gives the probability of each candidate.
  Training maximises the probability mass on the positions of the answer.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zhpipe.callbacks import Callback, epoch_end
from zhpipe.cloze.data import BLANK, ClozeItem
from zhpipe.earlystop import EarlyStopping
from zhpipe.layers import AttentionSum, BlankQuery, GatedAttention, GatedConv1D
from zhpipe.progress import progress

log = logging.getLogger(__name__)
PAD, UNK, BLANK_ID = 0, 1, 2
FIRST_OOV = 3
N_FEATURES = 6


@dataclass
class WordVocab:
    """Word ids, plus the words never to be answered (see ``non_answer_words``)."""

    words: list[str]  # index i -> word, starting at FIRST_OOV + oov_slots
    oov_slots: int = 50
    exclude: frozenset[str] = frozenset()

    def __post_init__(self):
        self.offset = FIRST_OOV + self.oov_slots
        self.index = {w: i + self.offset for i, w in enumerate(self.words)}
        self.exclude = frozenset(self.exclude)

    def __len__(self) -> int:
        return self.offset + len(self.words)

    @classmethod
    def build(cls, items: Sequence[ClozeItem], min_count: int, max_size: int,
              oov_slots: int = 50, extra: Sequence[str] = (),
              exclude: Iterable[str] = ()) -> WordVocab:
        from collections import Counter

        counts = Counter(w for it in items for w in it.tokens)
        words = [w for w, n in counts.most_common(max_size) if n >= min_count and w != BLANK]
        have = set(words)
        words += [w for w in extra if w not in have and w != BLANK]
        return cls(words, oov_slots, frozenset(exclude))

    def save(self, path) -> None:
        from zhpipe.fsutil import write_json

        write_json(path, {"words": self.words, "oov_slots": self.oov_slots,
                          "exclude": sorted(self.exclude)})

    @classmethod
    def load(cls, path) -> WordVocab:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(d["words"], d["oov_slots"], frozenset(d.get("exclude", ())))


@dataclass
class Encoded:
    doc: np.ndarray  # (D,) ids
    query: np.ndarray  # (Q,) ids
    q_blank: int
    d_blank: int  # -1 when the passage holds no blank
    features: np.ndarray  # (D, 6) float: in the query; log(1 + count in the passage) / 3;
    # context matches with the blank: 1 and 2 words before, 1 and 2 words after
    tokens: list[str]  # the passage words (for the attention sum), truncated like doc
    candidates: np.ndarray  # (D,) bool: positions that may hold the answer


def encode(item: ClozeItem, vocab: WordVocab, max_doc: int) -> Encoded:
    tokens = item.tokens[:max_doc]
    oov: dict[str, int] = {}

    def wid(w: str) -> int:
        if w == BLANK:
            return BLANK_ID
        i = vocab.index.get(w)
        if i is None:
            i = oov.setdefault(w, FIRST_OOV + len(oov) % vocab.oov_slots)
        return i

    doc = np.array([wid(w) for w in tokens], np.int32)
    query = np.array([wid(w) for w in item.query], np.int32)
    qset = set(item.query)
    counts = Counter(tokens)
    feats = np.array([[w in qset and w != BLANK, np.log1p(counts[w]) / 3] for w in tokens],
                     np.float32).reshape(len(tokens), 2)
    b = item.query.index(BLANK)
    feats = np.concatenate([feats, context_matches(tokens, item.query, b)], axis=1)
    return Encoded(doc, query, b,
                   tokens.index(BLANK) if BLANK in tokens else -1, feats, tokens,
                   candidate_mask(tokens, vocab.exclude))


def context_matches(tokens: Sequence[str], query: Sequence[str], blank: int) -> np.ndarray:
    """(len(tokens), 4) flags: does the word 1 (and 2) before / after each passage position equal
    the word(s) 1 (and 2) before / after the blank of the query? Positions holding the blank get
    zeros (the blanked sentence is in the passage too and would match itself)."""
    out = np.zeros((len(tokens), 4), np.float32)
    n = len(tokens)
    before = [query[blank - k] if blank - k >= 0 else None for k in (1, 2)]
    after = [query[blank + k] if blank + k < len(query) else None for k in (1, 2)]
    for i, w in enumerate(tokens):
        if w == BLANK:
            continue
        if before[0] is not None and i >= 1 and tokens[i - 1] == before[0]:
            out[i, 0] = 1
            if before[1] is not None and i >= 2 and tokens[i - 2] == before[1]:
                out[i, 1] = 1
        if after[0] is not None and i + 1 < n and tokens[i + 1] == after[0]:
            out[i, 2] = 1
            if after[1] is not None and i + 2 < n and tokens[i + 2] == after[1]:
                out[i, 3] = 1
    return out


def candidate_mask(tokens: Sequence[str], exclude: frozenset[str] = frozenset()
                   ) -> np.ndarray:
    """Positions that may hold the answer: words of Chinese characters, letters or digits, but
    not the blank and not the excluded (never-answer) words."""
    from zhpipe.corpus.text import is_han

    return np.array([w != BLANK and w not in exclude
                     and any(is_han(c) or c.isalnum() for c in w) for w in tokens], bool)


def _pad(rows: Sequence[np.ndarray], width: int, dtype) -> np.ndarray:
    out = np.zeros((len(rows), width), dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _pad3(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
    out = np.zeros((len(rows), width, N_FEATURES), np.float32)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def batch_inputs(encs: Sequence[Encoded], round_to: int = 32) -> dict:
    d = max(len(e.doc) for e in encs)
    q = max(len(e.query) for e in encs)
    d, q = -(-d // round_to) * round_to, -(-q // 8) * 8  # few distinct shapes: few traces
    cand = _pad([e.candidates for e in encs], d, np.float32)
    return {"doc": _pad([e.doc for e in encs], d, np.int32),
            "query": _pad([e.query for e in encs], q, np.int32),
            "features": _pad3([e.features for e in encs], d),
            "q_blank": np.array([[e.q_blank] for e in encs], np.int32),
            "d_blank": np.array([[max(e.d_blank, 0)] for e in encs], np.int32),
            "has_d_blank": np.array([[float(e.d_blank >= 0)] for e in encs], np.float32),
            "candidates": cand}


def _encoder(kind: str, units: int, dilations: Sequence[int], dropout: float, name: str):
    """A sequence encoder: BiGRU, two stacked BiLSTMs (Su Jianlin's reader; both masked), or
    residual gated dilated CNN (fast on CPUs)."""
    if kind in ("gru", "lstm2"):
        cell = keras.layers.GRU if kind == "gru" else keras.layers.LSTM
        rnns = [keras.layers.Bidirectional(cell(units, return_sequences=True),
                                           name=f"{name}_rnn{'' if i == 0 else i}")
                for i in range(1 if kind == "gru" else 2)]

        def stack(x):
            for rnn in rnns:
                x = rnn(x)
            return x

        return stack
    if kind != "cnn":
        raise ValueError(f"unknown encoder {kind!r} (cnn, gru or lstm2)")
    proj = keras.layers.Dense(2 * units, name=f"{name}_proj")
    convs = [GatedConv1D(2 * units, 3, d, dropout, name=f"{name}_conv{i}")
             for i, d in enumerate(dilations)]

    def run(x):
        h = proj(x)
        for c in convs:
            h = c(h)
        return h

    return run


def build_reader(vocab_size: int, *, dim: int = 128, units: int = 128, dropout: float = 0.1,
                 encoder: str = "cnn", dilations: Sequence[int] = (1, 2, 4, 8, 1),
                 init: np.ndarray | None = None, freeze: bool = False,
                 gated_attention: int = 0) -> keras.Model:
    """Inputs as made by :func:`batch_inputs`; output (B, D): probability of each position.
    ``gated_attention``: hops of Gated-Attention before the final encoders (0: none)."""
    doc = keras.Input((None,), dtype="int32", name="doc")
    query = keras.Input((None,), dtype="int32", name="query")
    features = keras.Input((None, N_FEATURES), dtype="float32", name="features")
    q_blank = keras.Input((1,), dtype="int32", name="q_blank")
    d_blank = keras.Input((1,), dtype="int32", name="d_blank")
    has_d_blank = keras.Input((1,), dtype="float32", name="has_d_blank")
    candidates = keras.Input((None,), dtype="float32", name="candidates")
    emb = keras.layers.Embedding(
        vocab_size, dim if init is None else init.shape[1], mask_zero=encoder != "cnn",
        name="word_emb", embeddings_initializer="uniform" if init is None
        else keras.initializers.Constant(init), trainable=not (freeze and init is not None))
    drop = keras.layers.Dropout(dropout)
    d_in = keras.layers.Concatenate(name="doc_features")([drop(emb(doc)), features])
    q_in = drop(emb(query))
    for hop in range(gated_attention):  # Gated-Attention hops: each passage state times its
        # attention-weighted summary of the query (Dhingra et al. 2017)
        d_in = _encoder(encoder, units, dilations[:1], dropout, f"doc_hop{hop}")(d_in)
        q_hop = _encoder(encoder, units, dilations[:1], dropout, f"query_hop{hop}")(q_in)
        d_in = GatedAttention(name=f"gated_attention{hop}")([d_in, q_hop, query])
    d_h = _encoder(encoder, units, dilations, dropout, "doc")(d_in)
    q_h = _encoder(encoder, units, dilations, dropout, "query")(q_in)
    q_vec = BlankQuery(name="blank_query")([q_h, d_h, q_blank, d_blank, has_d_blank])
    probs = AttentionSum(name="attention")([d_h, q_vec, candidates])
    return keras.Model([doc, query, features, q_blank, d_blank, has_d_blank, candidates], probs,
                       name="cloze_reader")


def attention_sum_loss(y_true, y_pred):
    """-log of the probability mass on the answer's positions (``y_true`` marks them)."""
    mass = ops.sum(y_true * y_pred, axis=-1)
    return -ops.log(ops.maximum(mass, 1e-9))


def answer_mask(enc: Encoded, answer: str | None, width: int) -> np.ndarray:
    m = np.zeros(width, np.float32)
    if answer is not None:
        for i, w in enumerate(enc.tokens):
            if w == answer:
                m[i] = 1.0
    return m


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


def _prepare(reader: Reader, items: Sequence[ClozeItem], tokens_per_batch: int
             ) -> tuple[list, int]:
    """Model inputs and answer masks per batch; items whose answer fell outside the passage's
    first ``max_doc`` tokens are dropped and counted."""
    dropped, prepared = 0, []
    for ids, encs in reader.batches(items, tokens_per_batch):
        x = batch_inputs(encs)
        y = np.stack([answer_mask(e, items[k].answer, x["doc"].shape[1])
                      for k, e in zip(ids, encs, strict=True)])
        keep = y.sum(1) > 0  # the answer was cut off with the passage's tail
        dropped += int((~keep).sum())
        if keep.any():
            prepared.append(({k: v[keep] for k, v in x.items()}, y[keep]))
    return prepared, dropped


def train_reader(train: Sequence[ClozeItem], dev: Sequence[ClozeItem], vocab: WordVocab, *,
                 dim: int, units: int, dropout: float, max_doc: int, tokens_per_batch: int,
                 encoder: str = "cnn", dilations: Sequence[int] = (1, 2, 4, 8, 1),
                 freeze_embeddings: bool = False, gated_attention: int = 0,
                 learning_rate: float, epochs: int,
                 patience: int, seed: int, init: np.ndarray | None = None,
                 lr_decay: str = "none", second: Sequence[ClozeItem] = (),
                 second_epochs: int = 0, second_learning_rate: float | None = None,
                 callbacks: Sequence[Callback] = ()) -> tuple[Reader, dict]:
    """Train with early stopping on the accuracy over ``dev`` (held-out items, never the
    evaluation set). ``lr_decay``: ``none`` (constant rate) or ``cosine`` (from
    ``learning_rate`` down to 0 over all ``epochs``). Then, a second phase (a curriculum):
    ``second_epochs`` more passes over the items ``second`` alone (the in-domain stories) at the
    constant ``second_learning_rate``, early stopping going on over both phases."""
    if lr_decay not in ("none", "cosine"):
        raise ValueError(f"lr_decay: {lr_decay!r} (none or cosine)")
    keras.utils.set_random_seed(seed)
    model = build_reader(len(vocab), dim=dim, units=units, dropout=dropout, encoder=encoder,
                         dilations=dilations, init=init, freeze=freeze_embeddings,
                         gated_attention=gated_attention)
    reader = Reader(model, vocab, max_doc)
    prepared, dropped = _prepare(reader, train, tokens_per_batch)
    rate = learning_rate  # cosine: over the steps really taken (all-dropped batches skipped)
    if lr_decay == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate,
                                                      max(1, epochs * len(prepared)))
    model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=5.0), loss=attention_sum_loss)
    rng = np.random.default_rng(seed)
    history, stopper = [], EarlyStopping(model, patience)
    t_train, seen = 0.0, 0
    phases = [("all", prepared, epochs)]
    if second and second_epochs:
        phases.append(("second", _prepare(reader, second, tokens_per_batch)[0], second_epochs))
    for phase, batches, n_epochs in phases:
        if phase == "second":
            stopper.restore()  # the second phase starts from the first phase's best weights
            stopper.waited = 0
            model.compile(optimizer=keras.optimizers.Adam(second_learning_rate or learning_rate,
                                                          clipnorm=5.0),
                          loss=attention_sum_loss)
        for epoch in range(n_epochs):
            t0, seen_before = time.perf_counter(), seen
            losses = []
            for b in progress(rng.permutation(len(batches)),
                              f"reader {phase} epoch {epoch + 1}/{n_epochs}", "batch"):
                x, y = batches[b]
                losses.append(float(np.asarray(model.train_on_batch(x, y))))
                seen += len(y)
            epoch_seconds = time.perf_counter() - t0
            t_train += epoch_seconds
            pred = reader.answer(dev)
            acc = float(np.mean([p == it.answer for p, it in zip(pred, dev, strict=True)])) \
                if dev else 0.0
            # epoch: counted over both phases (the curve's x); phase_epoch: within the phase
            history.append({"phase": phase, "epoch": len(history) + 1,
                            "phase_epoch": epoch + 1, "loss": float(np.mean(losses)),
                            "dev_accuracy": round(100 * acc, 2),
                            "items_per_sec": round((seen - seen_before) /
                                                   max(epoch_seconds, 1e-9), 1)})
            epoch_end(callbacks, history[-1])
            log.info("reader %s epoch %d: loss %.4f, dev accuracy %.2f%%", phase, epoch + 1,
                     history[-1]["loss"], 100 * acc)
            if stopper.update(acc):
                break
    stopper.restore()
    return reader, {"history": history, "dev_accuracy": round(100 * stopper.best, 2),
                    "train_seconds": round(t_train, 1),
                    "train_items_per_sec": round(seen / t_train, 1) if t_train else 0,
                    "dropped_answer_truncated": dropped, "params": int(model.count_params())}
