"""Training and using the headline model: :class:`Titler` wraps a model with its vocabulary."""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from zhpipe.callbacks import Callback, epoch_end
from zhpipe.earlystop import EarlyStopping
from zhpipe.errors import UserError
from zhpipe.headlines.model import TitlerInference, build_titler, shift_right
from zhpipe.progress import progress
from zhpipe.seq2seq.beam import beam_search, chain, no_repeat_ngram
from zhpipe.seq2seq.transformer import TransformerInference, build_transformer, is_transformer
from zhpipe.seq2seq.vocab import BOS, EOS, PAD, UNK, Vocab, pad_batch

log = logging.getLogger(__name__)


class TitleError(UserError, ValueError):
    """A text the headline model cannot read (empty); the message says which."""


def _round_up(n: int, step: int) -> int:
    return max(step, int(math.ceil(n / step)) * step)


class Titler:
    """A trained headline model: ``generate(["text", ...])`` -> headlines.

    Texts longer than ``max_text_chars`` are read up to there (:meth:`truncated` tells which)."""

    def __init__(self, model: keras.Model, vocab: Vocab, max_text_chars: int,
                 max_title_chars: int, length_penalty: float = 1.0, no_repeat: int = 0):
        self.model, self.vocab = model, vocab
        self.max_text_chars, self.max_title_chars = max_text_chars, max_title_chars
        self.length_penalty = length_penalty
        self.no_repeat = no_repeat  # n: no n-gram written twice (0: off)
        self.decoder = (TransformerInference if is_transformer(model) else TitlerInference)(model)

    def truncated(self, texts: Sequence[str]) -> list[int]:
        """Indices of the texts longer than the model reads."""
        return [i for i, t in enumerate(texts) if len(t) > self.max_text_chars]

    def generate(self, texts: Sequence[str], beam: int = 5, max_len: int | None = None,
                 batch_size: int = 64, label: str | None = None) -> list[str]:
        """One headline per text, same order. Texts are batched by length; ``label``: report
        progress per batch under that name."""
        for i, t in enumerate(texts):
            if not t.strip():
                raise TitleError(f"text {i + 1} is empty; a headline needs a text")
        max_len = min(max_len or self.max_title_chars, getattr(self.decoder, "max_len", 1 << 30))
        enc = [self.vocab.encode(t.strip(), self.max_text_chars) for t in texts]
        order = sorted(range(len(enc)), key=lambda i: len(enc[i]))
        out: list[str] = [""] * len(enc)
        chunks = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
        for chunk in (progress(chunks, label, "batch") if label else chunks):
            src = pad_batch([enc[i] for i in chunk])
            ids, _ = beam_search(self.decoder.init, self.decoder.step, src, bos=BOS, eos=EOS,
                                 max_len=max_len, beam=beam, mask=chain(
                                     _never_special,
                                     no_repeat_ngram(self.no_repeat) if self.no_repeat else None),
                                 length_penalty=self.length_penalty)
            for i, row in zip(chunk, ids, strict=True):
                out[i] = self.vocab.decode(row)
        return out

    def save(self, folder: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".titler.tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, folder / "titler.keras")
        self.vocab.save(folder / "vocab.json")
        write_json(folder / "titler.meta.json",
                   {"max_text_chars": self.max_text_chars, "max_title_chars": self.max_title_chars,
                    "length_penalty": self.length_penalty, "no_repeat_ngram": self.no_repeat})

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Titler:
        folder = Path(folder)
        path = folder / "titler.keras"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained headline model; run the train_title "
                                    "stage first (snakemake --cores all train_title)")
        model = keras.saving.load_model(path, compile=False)
        meta = json.loads((folder / "titler.meta.json").read_text(encoding="utf-8"))
        return cls(model, Vocab.load(folder / "vocab.json"), meta["max_text_chars"],
                   meta["max_title_chars"], meta.get("length_penalty", 1.0),
                   meta.get("no_repeat_ngram", 0))


def _never_special(logp: np.ndarray, t: int, prefix: np.ndarray) -> np.ndarray:
    """Padding, <unk> and the start id are never written (the end id is the search's own)."""
    logp[:, [PAD, UNK, BOS]] = -np.inf
    return logp


def encode_pairs(pairs: Sequence[tuple[str, str]], vocab: Vocab, max_text_chars: int
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Texts (cut to ``max_text_chars``) and headlines followed by EOS, as ids."""
    src = [vocab.encode(t, max_text_chars) for _, t in pairs]
    tgt = [np.append(vocab.encode(h), EOS).astype(np.int32) for h, _ in pairs]
    return src, tgt


def _batch(src, tgt, ids: np.ndarray):
    s = pad_batch([src[i] for i in ids], _round_up(max(len(src[i]) for i in ids), 32))
    y = pad_batch([tgt[i] for i in ids], _round_up(max(len(tgt[i]) for i in ids), 8))
    return [s, shift_right(y, BOS)], y, (y != PAD).astype(np.float32)


def train_titler(train: Sequence[tuple[str, str]], dev: Sequence[tuple[str, str]], vocab: Vocab,
                 *, max_text_chars: int, max_title_chars: int, dim: int, enc_layers: int,
                 dec_layers: int, heads: int, dropout: float, copy_prior: bool,
                 batch_size: int, learning_rate: float, epochs: int, patience: int, seed: int,
                 length_penalty: float = 1.0, no_repeat: int = 0, arch: str = "lstm",
                 max_seconds: float | None = None,
                 callbacks: Sequence[Callback] = ()) -> tuple[Titler, dict]:
    """Train with early stopping on the dev pairs' loss per headline character; returns the
    best pass's model and what training measured (losses, text characters per second).
    ``arch``: ``lstm`` (Su's, :mod:`.model`) or ``transformer`` (:mod:`zhpipe.seq2seq.transformer`)."""
    keras.utils.set_random_seed(seed)
    if arch == "transformer":
        model = build_transformer(len(vocab), dim=dim, enc_layers=enc_layers,
                                  dec_layers=dec_layers, heads=heads, dropout=dropout,
                                  copy_prior=copy_prior, max_text=_round_up(max_text_chars, 32),
                                  # positions for the longest (padded) headline it is shown
                                  max_title=_round_up(max(len(h) for h, _ in [*train, *dev]) + 1,
                                                      8))
    elif arch == "lstm":
        model = build_titler(len(vocab), dim=dim, enc_layers=enc_layers, dec_layers=dec_layers,
                             heads=heads, dropout=dropout, copy_prior=copy_prior)
    else:
        raise ValueError(f"unknown headline model {arch!r} (lstm or transformer)")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True, reduction="mean_with_sample_weight"))
    src, tgt = encode_pairs(train, vocab, max_text_chars)
    dev_src, dev_tgt = encode_pairs(dev, vocab, max_text_chars)
    rng = np.random.default_rng(seed)
    history, stopper = [], EarlyStopping(model, patience, higher_is_better=False)
    t_start, t_train, chars, stopped_by_time = time.perf_counter(), 0.0, 0, False
    for epoch in range(epochs):
        order = rng.permutation(len(src))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        t0 = time.perf_counter()
        losses, weights = [], []
        for ids in progress(batches, f"titler pass {epoch + 1}/{epochs}", "batch"):
            x, y, w = _batch(src, tgt, ids)
            losses.append(float(np.asarray(model.train_on_batch(x, y, sample_weight=w))))
            weights.append(w.sum())
            chars += sum(len(src[i]) for i in ids)
        seconds = time.perf_counter() - t0
        t_train += seconds
        dev_loss = _dev_loss(model, dev_src, dev_tgt, batch_size)
        history.append({"epoch": epoch + 1, "loss": float(np.average(losses, weights=weights)),
                        "dev_loss": dev_loss, "seconds": round(seconds, 1)})
        epoch_end(callbacks, history[-1])
        log.info("titler pass %d: loss %.4f, dev loss %.4f (%.0f s)", epoch + 1,
                 history[-1]["loss"], dev_loss, seconds)
        if stopper.update(dev_loss):
            break
        elapsed = time.perf_counter() - t_start
        if max_seconds is not None and elapsed + seconds > max_seconds:
            log.info("titler: time budget of %.0f s reached after %d passes", max_seconds,
                     epoch + 1)
            stopped_by_time = True
            break
    stopper.restore()
    info = {"history": history, "best_dev_loss": round(stopper.best, 4),
            "train_seconds": round(t_train, 1),
            "train_text_chars_per_sec": round(chars / t_train) if t_train else 0,
            "stopped_by_time": stopped_by_time, "params": int(model.count_params())}
    return Titler(model, vocab, max_text_chars, max_title_chars, length_penalty, no_repeat), info


def _dev_loss(model, src, tgt, batch_size: int) -> float:
    """Mean loss per real dev headline position (EOS included)."""
    total, n = 0.0, 0.0
    for i in range(0, len(src), batch_size):
        x, y, w = _batch(src, tgt, np.arange(i, min(i + batch_size, len(src))))
        total += float(np.asarray(model.test_on_batch(x, y, sample_weight=w))) * w.sum()
        n += w.sum()
    return round(float(total / max(n, 1.0)), 4)
