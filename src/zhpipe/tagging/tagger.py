"""A character tagger (embeddings -> dilated CNN or BiLSTM -> CRF) for segmentation and names."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zhpipe.callbacks import Callback, epoch_end
from zhpipe.earlystop import EarlyStopping
from zhpipe.layers import CRF, PadMask
from zhpipe.progress import progress
from zhpipe.tagging.crf import bio_constraints, bmes_constraints, viterbi_numpy
from zhpipe.tagging.data import (
    LEX_LENGTHS,
    SEG_TAGS,
    UNK,
    LexiconFlags,
    LexiconStack,
    Vocab,
    encode_many,
    mend_cut,
    pad_batch,
    split_for_model,
)

log = logging.getLogger(__name__)
VITERBI_BATCH = 256  # texts decoded together (sorted by length, padded to the longest)


def build_model(n_chars: int, n_bigrams: int, tags: list[str], *, char_dim: int = 64,
                bigram_dim: int = 32, filters: int = 128, dilations: Sequence[int] = (1, 2, 4),
                encoder: str = "cnn", dropout: float = 0.2,
                char_init: np.ndarray | None = None,
                lexicon_dim: int = 2 * len(LEX_LENGTHS)) -> keras.Model:
    chars = keras.Input((None,), dtype="int32", name="chars")
    bigrams = keras.Input((None,), dtype="int32", name="bigrams")
    lexicon = keras.Input((None, lexicon_dim), dtype="float32", name="lexicon")
    init = "uniform" if char_init is None else keras.initializers.Constant(char_init)
    e = keras.layers.Concatenate()([
        keras.layers.Embedding(n_chars, char_dim if char_init is None else char_init.shape[1],
                               embeddings_initializer=init, name="char_emb")(chars),
        keras.layers.Embedding(n_bigrams, bigram_dim, name="bigram_emb")(bigrams),
        lexicon])
    h = keras.layers.Dense(filters, activation="relu")(keras.layers.Dropout(dropout)(e))
    h = PadMask()(h, chars)
    if encoder == "cnn":
        for d in dilations:
            c = keras.layers.Conv1D(filters, 3, dilation_rate=d, padding="same",
                                    activation="relu")(keras.layers.Dropout(dropout)(h))
            h = PadMask()(keras.layers.Add()([h, c]), chars)
    elif encoder == "bilstm":
        h = keras.layers.Bidirectional(keras.layers.LSTM(filters // 2, return_sequences=True))(
            h, mask=ops.not_equal(chars, 0))
    else:
        raise ValueError(f"unknown encoder {encoder!r} (cnn or bilstm)")
    emissions = keras.layers.Dense(len(tags), name="emissions")(keras.layers.Dropout(dropout)(h))
    constraints = bmes_constraints(tags) if tags == SEG_TAGS else bio_constraints(tags)
    crf = CRF(len(tags), constraints, name="crf")
    return keras.Model([chars, bigrams, lexicon], crf(emissions))


class Batches:
    """Examples bucketed by length (little padding), batch order shuffled every epoch.

    Fed with ``train_on_batch``: a generator dataset would fix the sequence length seen in its
    first batch (TensorFlow infers the signature from it)."""

    def __init__(self, feats: list[dict], labels: list[np.ndarray], tokens_per_batch: int,
                 seed: int = 0, unk_rate: float = 0.0):
        order = np.argsort([len(f["chars"]) for f in feats], kind="stable")
        self.batches, cur, size = [], [], 0
        for i in order:
            n = len(feats[i]["chars"])
            if cur and (len(cur) + 1) * max(n, size) > tokens_per_batch:
                self.batches.append(cur)
                cur, size = [], 0
            cur.append(i)
            size = max(size, n)
        if cur:
            self.batches.append(cur)
        self.feats, self.labels = feats, labels
        self.unk_rate = unk_rate
        self.rng = np.random.default_rng(seed)
        self.rng.shuffle(self.batches)

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        ids = self.batches[i]
        x, y = pad_batch([self.feats[j] for j in ids], [self.labels[j] for j in ids])
        if self.unk_rate:
            # Unknown-id dropout: some characters and bigrams are read as never seen, so the
            # model learns to tag from the context what a new text's unseen ones will need.
            for key in ("chars", "bigrams"):
                hit = (self.rng.random(x[key].shape) < self.unk_rate) & (x[key] > UNK)
                x[key] = np.where(hit, UNK, x[key]).astype(x[key].dtype)
        return x, y

    def on_epoch_end(self):
        self.rng.shuffle(self.batches)


def add_tag_features(feats: list[dict], tag_seqs: Sequence[Sequence[str]], tags: list[str]
                     ) -> list[dict]:
    """Append each character's tag from another tagger (one-hot over ``tags``) to its lexicon
    flags: how the names tagger reads the segmenter's word boundaries."""
    eye = np.eye(len(tags), dtype=np.float32)
    index = {t: i for i, t in enumerate(tags)}
    for f, seq in zip(feats, tag_seqs, strict=True):
        if len(seq) != len(f["chars"]):
            raise ValueError(f"{len(seq)} tags for a text of {len(f['chars'])} characters")
        one_hot = eye[[index[t] for t in seq]] if len(seq) else np.zeros((0, len(tags)),
                                                                          np.float32)
        f["lexicon"] = np.concatenate([f["lexicon"], one_hot], axis=1)
    return feats


def _feature_width(lexicon: LexiconFlags | LexiconStack | None,
                   segmenter: Tagger | None) -> int:
    width = lexicon.width if lexicon is not None else 2 * len(LEX_LENGTHS)
    return width + (len(segmenter.tags) if segmenter is not None else 0)


class Tagger:
    """A trained model with its vocabulary, tags and lexicon; tags raw text of any length.

    With a ``segmenter`` (another Tagger, saved next to this one under ``segmenter_name`` and
    loaded with it), the segmenter's tags of each character are input features too."""

    def __init__(self, model: keras.Model, vocab: Vocab, tags: list[str],
                 lexicon: LexiconFlags | LexiconStack | None, max_len: int = 200,
                 segmenter: Tagger | None = None, segmenter_name: str | None = None):
        self.model, self.vocab, self.tags = model, vocab, tags
        self.lexicon, self.max_len = lexicon, max_len
        self.segmenter, self.segmenter_name = segmenter, segmenter_name
        self.crf = model.get_layer("crf")
        self.whole: dict[str, list[str]] = {}  # words kept whole (:meth:`keeping`), by first char

    def encode(self, pieces: Sequence[str],
               seg_tags: Sequence[Sequence[str]] | None = None) -> list[dict]:
        """Model features of texts no longer than ``max_len`` (``seg_tags``: the segmenter's
        tags of them, when already known)."""
        feats = encode_many(pieces, self.vocab, self.lexicon)
        if self.segmenter is not None:
            if seg_tags is None:
                seg_tags = self.segmenter.tag(pieces)
            add_tag_features(feats, seg_tags, self.segmenter.tags)
        return feats

    def emissions(self, feats: list[dict], batch_tokens: int = 65536) -> list[np.ndarray]:
        """Tag scores for each encoded text (texts bucketed by length for speed)."""
        out: list[np.ndarray | None] = [None] * len(feats)
        order = np.argsort([len(f["chars"]) for f in feats], kind="stable")
        i = 0
        while i < len(order):
            n = max(len(feats[order[i]]["chars"]), 1)
            j = i
            while j < len(order) and (j - i + 1) * max(len(feats[order[j]]["chars"]), n) \
                    <= batch_tokens:
                j += 1
            j = max(j, i + 1)
            ids = order[i:j]
            x = pad_batch([feats[k] for k in ids])
            em = np.asarray(self.model.predict_on_batch(x))  # compiled, unlike model(x)
            for row, k in zip(em, ids, strict=True):
                out[k] = row[: len(feats[k]["chars"])]
            i = j
        return out  # type: ignore[return-value]

    def tag(self, texts: Sequence[str]) -> list[list[str]]:
        """Tags for each text; long texts are split, tagged and rejoined; empty stays empty."""
        pieces, owner = [], []
        for t_i, text in enumerate(texts):
            for piece in split_for_model(text, self.max_len) if text else []:
                pieces.append(piece)
                owner.append(t_i)
        ems = self.emissions(self.encode(pieces))
        if self.whole:
            ems = [self._keep_whole(piece, em) for piece, em in zip(pieces, ems, strict=True)]
        trans, start, end = self.crf.numpy_params()
        out: list[list[str]] = [[] for _ in texts]
        # Viterbi in NumPy over padded batches of similar lengths (one step loop per batch,
        # not one per distinct length: a fifth of the decoding time before)
        decoded: list[np.ndarray | None] = [None] * len(ems)
        order = np.argsort([len(em) for em in ems], kind="stable")
        for i in range(0, len(order), VITERBI_BATCH):
            ks = order[i:i + VITERBI_BATCH]
            lengths = np.array([len(ems[k]) for k in ks])
            x = np.zeros((len(ks), lengths.max(), len(self.tags)), np.float32)
            for row, k in enumerate(ks):
                x[row, :lengths[row]] = ems[k]
            for k, path in zip(ks, viterbi_numpy(x, lengths, trans, start, end), strict=True):
                decoded[k] = path
        for k, path in enumerate(decoded):
            out[owner[k]].extend(self.tags[i] for i in path)
        return out

    def with_words(self, words: Iterable[str], group: str = "mined") -> Tagger:
        """This tagger with ``words`` added to its lexicon flags (the mined lexicon's group of
        a stack): a field's terms, read at tagging time without retraining. Words of lengths
        the flags do not cover are ignored; the model is shared, not copied."""
        words = [w for w in words if w]
        lex = self.lexicon
        if isinstance(lex, LexiconStack) and group in lex.groups:
            g = lex.groups[group]
            new = LexiconStack({**lex.groups, group: LexiconFlags(
                [*(w for ws in g.words.values() for w in ws), *words], g.lengths)})
        elif isinstance(lex, LexiconFlags):
            new = LexiconFlags([*(w for ws in lex.words.values() for w in ws), *words],
                               lex.lengths)
        else:
            raise ValueError("this tagger reads no lexicon flags (trained with use_lexicon "
                             "false): extra words cannot be given to it")
        return type(self)(self.model, self.vocab, self.tags, new, self.max_len, self.segmenter,
                          self.segmenter_name)

    def keeping(self, words: Iterable[str]) -> Tagger:
        """This segmenter with its decoding constrained to keep every occurrence of ``words``
        whole (a field's terms): where one occurs (leftmost, then longest, first), the Viterbi
        path must tag it B M... E; the CRF's transitions then put boundaries around it. The
        model is shared, not copied."""
        if sorted(self.tags) != ["B", "E", "M", "S"]:
            raise ValueError("only a segmenter (BMES tags) can keep words whole")
        out = type(self)(self.model, self.vocab, self.tags, self.lexicon, self.max_len,
                         self.segmenter, self.segmenter_name)
        for w in sorted({w for w in words if len(w) > 1}, key=len, reverse=True):
            out.whole.setdefault(w[0], []).append(w)
        return out

    def _keep_whole(self, text: str, em: np.ndarray) -> np.ndarray:
        """Emission scores with every tag but the forced one pushed far down at the positions
        of the words to keep whole."""
        em = np.array(em, copy=True)
        low = em.min() - 1e4
        b, m, e = (self.tags.index(t) for t in "BME")
        i = 0
        while i < len(text):
            hit = next((w for w in self.whole.get(text[i], ()) if text.startswith(w, i)), None)
            if hit is None:
                i += 1
                continue
            for j, tag in zip(range(i, i + len(hit)), [b] + [m] * (len(hit) - 2) + [e],
                              strict=True):
                keep = em[j, tag]
                em[j] = low
                em[j, tag] = keep
            i += len(hit)
        return em

    def save(self, folder: str | os.PathLike, name: str) -> None:
        from zhpipe.fsutil import atomic_write, write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, folder / f"{name}.keras")
        self.vocab.save(folder / f"{name}.vocab.json")
        meta = {"tags": self.tags, "max_len": self.max_len}
        if self.segmenter is not None:  # saved with it (again, if it is there already), so
            meta["segmenter"] = self.segmenter_name  # that a stale model is never paired
            self.segmenter.save(folder, self.segmenter_name)
        write_json(folder / f"{name}.meta.json", meta)
        if isinstance(self.lexicon, LexiconStack):
            self.lexicon.save(folder / f"{name}.lexicons.json")
        elif self.lexicon is not None:
            with atomic_write(folder / f"{name}.lexicon.txt") as fh:
                for k in self.lexicon.lengths:
                    for w in sorted(self.lexicon.words[k]):
                        fh.write(w + "\n")

    @classmethod
    def load(cls, folder: str | os.PathLike, name: str) -> Tagger:
        folder = Path(folder)
        model = keras.saving.load_model(folder / f"{name}.keras", compile=False)
        meta = json.loads((folder / f"{name}.meta.json").read_text(encoding="utf-8"))
        lex_path = folder / f"{name}.lexicon.txt"
        stack_path = folder / f"{name}.lexicons.json"
        lex: LexiconFlags | LexiconStack | None = None
        if stack_path.exists():
            lex = LexiconStack.load(stack_path)
        elif lex_path.exists():
            lex = LexiconFlags(lex_path.read_text(encoding="utf-8").split())
        seg_name = meta.get("segmenter")
        segmenter = cls.load(folder, seg_name) if seg_name else None
        return cls(model, Vocab.load(folder / f"{name}.vocab.json"), meta["tags"], lex,
                   meta["max_len"], segmenter, seg_name)


def train_tagger(train_texts: list[str], train_tags: list[list[str]], tags: list[str],
                 lexicon: LexiconFlags | LexiconStack | None,
                 score: Callable[[Tagger], float], *, epochs: int, patience: int,
                 tokens_per_batch: int, learning_rate: float, seed: int, max_len: int = 200,
                 char_init: dict | None = None, unk_rate: float = 0.0, ema: float = 0.0,
                 segmenter: Tagger | None = None, segmenter_name: str = "seg",
                 train_seg_tags: Sequence[Sequence[str]] | None = None,
                 callbacks: Sequence[Callback] = (), label: str = "tagger",
                 **model_kw) -> tuple[Tagger, dict]:
    """Train with early stopping on ``score`` (higher is better) of the dev set.

    With a ``segmenter``, its tags are input features: ``train_seg_tags`` are its tags of the
    training texts, best from segmenters that never saw them (:func:`cross_tags`); without
    them the segmenter tags the training texts itself, which it may know too well.

    ``ema`` > 0 scores, keeps and returns the exponential moving average of the weights
    (momentum ``ema`` per batch) instead of the last batch's weights; training goes on from the
    raw weights."""
    keras.utils.set_random_seed(seed)
    vocab = Vocab.build(train_texts)
    init = None
    if char_init:
        dim = next(iter(char_init.values())).shape[0]
        rng = np.random.default_rng(seed)
        init = rng.uniform(-0.05, 0.05, (len(vocab.chars) + 2, dim)).astype("float32")
        for ch, i in vocab.chars.items():
            if ch in char_init:
                init[i] = char_init[ch]
    model = build_model(len(vocab.chars) + 2, len(vocab.bigrams) + 2, tags, char_init=init,
                        lexicon_dim=_feature_width(lexicon, segmenter), **model_kw)
    crf = model.get_layer("crf")
    optimizer = keras.optimizers.Adam(learning_rate, use_ema=ema > 0, ema_momentum=ema or 0.99)
    model.compile(optimizer=optimizer, loss=crf.loss)
    tag_id = {t: i for i, t in enumerate(tags)}
    tagger = Tagger(model, vocab, tags, lexicon, max_len, segmenter,
                    segmenter_name if segmenter is not None else None)
    if segmenter is not None and train_seg_tags is None:
        train_seg_tags = segmenter.tag(train_texts)
    pieces, pieces_y, pieces_seg = [], [], []
    for i, (text, tg) in enumerate(zip(train_texts, train_tags, strict=True)):
        start = 0
        split = split_for_model(text, max_len)
        for piece in split:
            pieces.append(piece)
            piece_tags = tg[start:start + len(piece)]
            if len(split) > 1:  # a word or name cut at the edge must not make it invalid
                piece_tags = mend_cut(piece_tags)
            pieces_y.append(np.array([tag_id[t] for t in piece_tags], np.int32))
            if train_seg_tags is not None:
                pieces_seg.append(train_seg_tags[i][start:start + len(piece)])
            start += len(piece)
    pieces_x = tagger.encode(pieces, pieces_seg if segmenter is not None else None)
    data = Batches(pieces_x, pieces_y, tokens_per_batch, seed, unk_rate)
    history = []
    stopper = EarlyStopping(model, patience)
    chars = sum(len(t) for t in train_texts)
    t_train = 0.0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        losses = [float(np.asarray(model.train_on_batch(*data[i])))
                  for i in progress(range(len(data)), f"{label} epoch {epoch + 1}/{epochs}", "batch")]
        data.on_epoch_end()
        epoch_seconds = time.perf_counter() - t0
        t_train += epoch_seconds
        raw = None
        if ema:  # score (and keep, if best) the averaged weights
            raw = [np.array(v.numpy()) for v in model.trainable_variables]
            optimizer.finalize_variable_values(model.trainable_variables)
            for v in model.trainable_variables:  # JAX: the weights now share the averages'
                v.assign(np.array(v.numpy()))  # buffers, which the next step would donate twice
        dev = score(tagger)
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "dev": dev,
                        "chars_per_sec": round(chars / max(epoch_seconds, 1e-9))})
        epoch_end(callbacks, history[-1])
        log.info("epoch %d: loss %.4f, dev %.4f", epoch + 1, history[-1]["loss"], dev)
        stop = stopper.update(dev)
        if raw is not None:
            for v, w in zip(model.trainable_variables, raw, strict=True):
                v.assign(w)
        if stop:
            break
    stopper.restore()
    return tagger, {"history": history, "best_dev": stopper.best, "train_seconds": round(t_train, 1),
                    "train_chars_per_sec": round(chars * len(history) / t_train)
                    if t_train else 0, "vocab_chars": len(vocab.chars),
                    "vocab_bigrams": len(vocab.bigrams)}


def cross_tags(texts: Sequence[str], tags: Sequence[Sequence[str]], tagset: list[str],
               lexicon: LexiconFlags | LexiconStack | None, score: Callable[[Tagger], float], *,
               folds: int, **train_kw
               ) -> tuple[list[list[str]], list[dict]]:
    """Jackknifed tags: every ``folds``-th text (offset k) is tagged by a model trained on the
    other texts, so the tags of each training text are as good as on unseen text."""
    if folds < 2:
        raise ValueError(f"folds must be at least 2, not {folds}")
    out: list[list[str] | None] = [None] * len(texts)
    infos = []
    for k in range(folds):
        held = [i for i in range(len(texts)) if i % folds == k]
        rest = [i for i in range(len(texts)) if i % folds != k]
        log.info("fold %d/%d: training on %d texts, tagging %d", k + 1, folds, len(rest), len(held))
        model, info = train_tagger([texts[i] for i in rest], [tags[i] for i in rest], tagset,
                                   lexicon, score, **train_kw)
        for i, t in zip(held, model.tag([texts[i] for i in held]), strict=True):
            out[i] = t
        infos.append({k: v for k, v in info.items() if k != "history"})
    return out, infos  # type: ignore[return-value]
