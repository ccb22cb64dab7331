"""The couplet models, in Keras 3 with ``keras.ops`` only.

* **Tagger** (Su Jianlin, 基于CNN和序列标注的对联机器人): character embeddings, a stack of residual
  gated dilated convolutions, and a softmax over the vocabulary at every position: the whole
  lower line at once, each character chosen without seeing the others.
* **seq2seq**: the same convolutional encoder, then a GRU decoder that reads the previous output
  character together with the encoder state of the aligned position (the lines have equal
  length), multi-head attention over the whole upper line, and a softmax over the decoder
  state, the attention context and the aligned encoder state. Trained with teacher
  forcing; decoded one position at a time with beam search (:mod:`zhpipe.couplet.decode`).
* **Transformer**: the shared encoder-decoder of :mod:`zhpipe.seq2seq.transformer`, aligned
  (the decoder's input at position t also gets the encoder state of upper position t) and with
  tied input and output embeddings; trained with label smoothing
  (:class:`zhpipe.couplet.train.SmoothedCrossEntropy`).

Training batches are padded to a few fixed lengths (:func:`zhpipe.couplet.data.shape_buckets`):
the encoder zeroes padded positions after every layer (as ``padding="same"`` reads zeros past a
line's end), attention never reads a padded key, and the loss weighs real positions only, so a
padded line trains exactly as the unpadded line is read at inference, where batches hold lines
of one exact length.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from zhpipe.couplet.data import BOS
from zhpipe.layers import GatedConv1D, KeyPaddingMask, PadMask
from zhpipe.seq2seq.steps import AttentionStep, GRUStep, log_softmax, weights
from zhpipe.seq2seq.transformer import build_transformer as _shared_transformer


def _encoder(ids, vocab_size: int, dim: int, dilations: Sequence[int], dropout: float):
    emb = keras.layers.Embedding(vocab_size, dim, name="char_emb")
    h = PadMask()(emb(ids), ids)
    for i, d in enumerate(dilations):
        h = PadMask()(GatedConv1D(dim, 3, d, dropout, name=f"gconv{i}")(h), ids)
    return emb, h


def build_tagger(vocab_size: int, *, dim: int = 128, dilations: Sequence[int] = (1, 2, 4, 1),
                 dropout: float = 0.1) -> keras.Model:
    """(B, T) upper ids -> (B, T, V) logits of the lower line."""
    upper = keras.Input((None,), dtype="int32", name="upper")
    _, h = _encoder(upper, vocab_size, dim, dilations, dropout)
    logits = keras.layers.Dense(vocab_size, name="logits")(keras.layers.Dropout(dropout)(h))
    return keras.Model(upper, logits, name="couplet_tagger")


SEQ2SEQ_LAYERS = ("char_emb", "enc_norm", "dec_in", "dec_gru", "attention", "combine",
                  "logits")


def build_seq2seq(vocab_size: int, *, dim: int = 128, dilations: Sequence[int] = (1, 2, 4, 1),
                  dropout: float = 0.1, heads: int = 4) -> keras.Model:
    """Training model: ``[upper (B, T), previous lower ids (B, T)]`` -> ``(B, T, V)`` logits.

    ``prev`` is the lower line shifted right by one with BOS first (teacher forcing)."""
    upper = keras.Input((None,), dtype="int32", name="upper")
    prev = keras.Input((None,), dtype="int32", name="prev")
    emb, h = _encoder(upper, vocab_size, dim, dilations, dropout)
    enc = keras.layers.LayerNormalization(name="enc_norm")(h)
    dec_in = keras.layers.Dense(dim, activation="tanh", name="dec_in")
    gru = keras.layers.GRU(dim, return_sequences=True, return_state=True, name="dec_gru")
    attention = keras.layers.MultiHeadAttention(heads, max(dim // heads, 8), name="attention")
    combine = keras.layers.Dense(dim, name="combine")  # linear: a tanh here stalls training
    logits = keras.layers.Dense(vocab_size, name="logits")
    x = dec_in(keras.layers.Concatenate()([emb(prev), enc]))
    s, _ = gru(x)  # left to right: padding at the end changes no real position
    ctx = attention(s, enc, attention_mask=KeyPaddingMask()(s, upper))
    # the aligned encoder state also feeds the output directly (as in the tagger), so the
    # decoder does not have to carry it through the GRU
    out = combine(keras.layers.Concatenate()([s, ctx, enc]))
    return keras.Model([upper, prev], logits(keras.layers.Dropout(dropout)(out)),
                       name="couplet_seq2seq")


def build_transformer(vocab_size: int, *, dim: int = 256, layers: int = 2, heads: int = 4,
                      dropout: float = 0.1, max_len: int = 64) -> keras.Model:
    """Training model: ``[upper (B, T), previous lower ids (B, T)]`` -> ``(B, T, V)`` logits;
    ``layers`` encoder and ``layers`` decoder blocks."""
    return _shared_transformer(vocab_size, dim=dim, enc_layers=layers, dec_layers=layers,
                               heads=heads, dropout=dropout, copy_prior=False,
                               max_text=max_len, max_title=max_len, tied=True, aligned=True,
                               name="couplet_transformer")


class Seq2SeqInference:
    """Encoder once (Keras), then one decoder step at a time in NumPy (the shared
    :mod:`zhpipe.seq2seq.steps`), from a trained seq2seq model's weights. The step reproduces
    the layers exactly (a test compares it with the training graph)."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.gconvs = [lay for lay in model.layers if isinstance(lay, GatedConv1D)]
        self.emb = model.get_layer("char_emb")
        self.layers = {n: model.get_layer(n) for n in SEQ2SEQ_LAYERS}
        self.w = {
            "emb": weights(self.emb.embeddings),
            "dec_in": (weights(self.layers["dec_in"].kernel), weights(self.layers["dec_in"].bias)),
            "combine": (weights(self.layers["combine"].kernel),
                        weights(self.layers["combine"].bias)),
            "logits": (weights(self.layers["logits"].kernel), weights(self.layers["logits"].bias)),
        }
        self.gru = GRUStep(self.layers["dec_gru"])
        self.attention = AttentionStep(self.layers["attention"])
        self.units = self.gru.units

    def init(self, upper_ids: np.ndarray) -> dict:
        h = self.emb(ops.convert_to_tensor(upper_ids, "int32"))
        for g in self.gconvs:
            h = g(h, training=False)
        enc = np.asarray(ops.convert_to_numpy(self.layers["enc_norm"](h)), np.float32)
        keys, values = self.attention.memory(enc)
        # per input, shared by its beams (zhpipe.seq2seq.beam: static_*):
        # (B, T, D), (B, heads, T, key_dim) twice
        return {"static_enc": enc, "static_keys": keys, "static_values": values,
                "h": np.zeros((upper_ids.shape[0], self.units), np.float32)}

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        w = self.w
        enc = state["static_enc"]
        enc_t = np.repeat(enc[:, t], prev.shape[0] // enc.shape[0], axis=0)
        x = np.tanh(np.concatenate([w["emb"][prev], enc_t], axis=-1) @ w["dec_in"][0]
                    + w["dec_in"][1])
        h = self.gru(x, state["h"])
        ctx = self.attention(h, state["static_keys"], state["static_values"])
        out = np.concatenate([h, ctx, enc_t], axis=-1) @ w["combine"][0] + w["combine"][1]
        logp = log_softmax(out @ w["logits"][0] + w["logits"][1])
        return logp, {**state, "h": h.astype(np.float32)}


class TaggerInference:
    """The tagger as a decoder: all positions scored at once, read one position at a time."""

    def __init__(self, model: keras.Model):
        self.model = model

    def init(self, upper_ids: np.ndarray) -> dict:
        logits = self.model(ops.convert_to_tensor(upper_ids, "int32"), training=False)
        return {"logp": ops.convert_to_numpy(ops.log_softmax(logits, axis=-1))}

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        return state["logp"][:, t], state


def shift_right(lower_ids: np.ndarray) -> np.ndarray:
    """Teacher-forcing input: BOS followed by all but the last lower id."""
    out = np.empty_like(lower_ids)
    out[:, 0] = BOS
    out[:, 1:] = lower_ids[:, :-1]
    return out
