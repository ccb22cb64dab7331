"""The two couplet models, in Keras 3 with ``keras.ops`` only.

* **Tagger** (Su Jianlin, 基于CNN和序列标注的对联机器人): character embeddings, a stack of residual
  gated dilated convolutions, and a softmax over the vocabulary at every position: the whole
  lower line at once, each character chosen without seeing the others.
* **seq2seq**: the same convolutional encoder, then a GRU decoder that reads the previous output
  character together with the encoder state of the aligned position (the lines have equal
  length), multi-head attention over the whole upper line, and a softmax over the decoder
  state, the attention context and the aligned encoder state. Trained with teacher
  forcing; decoded one position at a time with beam search (:mod:`zhpipe.couplet.decode`).

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


class Seq2SeqInference:
    """Encoder once (Keras), then one decoder step at a time in NumPy, from a trained seq2seq
    model's weights.

    A step is a few small matrix products for a handful of beams, where calling the Keras
    layers eagerly cost a millisecond or more of dispatch per layer (245 ms for a 7-character
    line at beam 5). The step reproduces the layers exactly (a test compares it with the
    training graph): the GRU as Keras computes it (``reset_after``, gates z, r, h), the
    attention with its key and value projections of the upper line computed once per line."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.gconvs = [lay for lay in model.layers if isinstance(lay, GatedConv1D)]
        self.emb = model.get_layer("char_emb")
        self.layers = {n: model.get_layer(n) for n in SEQ2SEQ_LAYERS}
        w = lambda v: np.asarray(ops.convert_to_numpy(v), np.float32)  # noqa: E731
        att = self.layers["attention"]
        gru = self.layers["dec_gru"]
        if not gru.cell.reset_after:
            raise ValueError("the NumPy decoder follows Keras's GRU with reset_after=True")
        self.w = {
            "emb": w(self.emb.embeddings),
            "dec_in": (w(self.layers["dec_in"].kernel), w(self.layers["dec_in"].bias)),
            "gru": (w(gru.cell.kernel), w(gru.cell.recurrent_kernel), w(gru.cell.bias)),
            "q": (w(att._query_dense.kernel), w(att._query_dense.bias)),
            "k": (w(att._key_dense.kernel), w(att._key_dense.bias)),
            "v": (w(att._value_dense.kernel), w(att._value_dense.bias)),
            "o": (w(att._output_dense.kernel), w(att._output_dense.bias)),
            "combine": (w(self.layers["combine"].kernel), w(self.layers["combine"].bias)),
            "logits": (w(self.layers["logits"].kernel), w(self.layers["logits"].bias)),
        }
        self.scale = 1.0 / np.sqrt(att._key_dim)
        self.units = gru.units

    def init(self, upper_ids: np.ndarray) -> dict:
        h = self.emb(ops.convert_to_tensor(upper_ids, "int32"))
        for g in self.gconvs:
            h = g(h, training=False)
        enc = np.asarray(ops.convert_to_numpy(self.layers["enc_norm"](h)), np.float32)
        (kk, kb), (vk, vb) = self.w["k"], self.w["v"]
        return {"enc": enc,  # (B, T, D); keys and values (B, T, heads, key_dim)
                "keys": np.einsum("btd,dhk->bthk", enc, kk) + kb,
                "values": np.einsum("btd,dhk->bthk", enc, vk) + vb,
                "h": np.zeros((upper_ids.shape[0], self.units), np.float32)}

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        w = self.w
        enc_t = state["enc"][:, t]
        x = np.tanh(np.concatenate([w["emb"][prev], enc_t], axis=-1) @ w["dec_in"][0]
                    + w["dec_in"][1])
        kernel, recurrent, bias = w["gru"]
        h_prev = state["h"]
        xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
        rz, rr, rh = np.split(h_prev @ recurrent + bias[1], 3, axis=-1)
        z, r = _sigmoid(xz + rz), _sigmoid(xr + rr)
        h = z * h_prev + (1.0 - z) * np.tanh(xh + r * rh)
        q = (np.einsum("bd,dhk->bhk", h, w["q"][0]) + w["q"][1]) * self.scale
        scores = np.einsum("bhk,bthk->bht", q, state["keys"])
        att = np.exp(scores - scores.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = np.einsum("bht,bthk->bhk", att, state["values"])
        ctx = np.einsum("bhk,hkd->bd", ctx, w["o"][0]) + w["o"][1]
        out = np.concatenate([h, ctx, enc_t], axis=-1) @ w["combine"][0] + w["combine"][1]
        logits = out @ w["logits"][0] + w["logits"][1]
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        return logp, {**state, "h": h.astype(np.float32)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


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
