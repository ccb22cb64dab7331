"""The two couplet models, in Keras 3 with ``keras.ops`` only.

* **Tagger** (Su Jianlin, 基于CNN和序列标注的对联机器人): character embeddings, a stack of residual
  gated dilated convolutions, and a softmax over the vocabulary at every position: the whole
  lower line at once, each character chosen without seeing the others.
* **seq2seq**: the same convolutional encoder, then a GRU decoder that reads the previous output
  character together with the encoder state of the aligned position (the lines have equal
  length), multi-head attention over the whole upper line, and a softmax over the decoder
  state, the attention context and the aligned encoder state. Trained with teacher
  forcing; decoded one position at a time with beam search (:mod:`zhpipe.couplet.decode`).

Both models take sequences of one exact length per batch (callers group by length), so no
padding or masking is involved.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from zhpipe.couplet.data import BOS
from zhpipe.layers import GatedConv1D


def _encoder(ids, vocab_size: int, dim: int, dilations: Sequence[int], dropout: float):
    emb = keras.layers.Embedding(vocab_size, dim, name="char_emb")
    h = emb(ids)
    for i, d in enumerate(dilations):
        h = GatedConv1D(dim, 3, d, dropout, name=f"gconv{i}")(h)
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
    s, _ = gru(x)
    ctx = attention(s, enc)
    # the aligned encoder state also feeds the output directly (as in the tagger), so the
    # decoder does not have to carry it through the GRU
    out = combine(keras.layers.Concatenate()([s, ctx, enc]))
    return keras.Model([upper, prev], logits(keras.layers.Dropout(dropout)(out)),
                       name="couplet_seq2seq")


class Seq2SeqInference:
    """Encoder once, then one decoder step at a time, from a trained seq2seq model's layers.

    Calls the layers eagerly (no tracing, so any batch size or length costs nothing extra)."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.gconvs = [lay for lay in model.layers if isinstance(lay, GatedConv1D)]
        self.emb = model.get_layer("char_emb")
        self.layers = {n: model.get_layer(n) for n in SEQ2SEQ_LAYERS}

    def init(self, upper_ids: np.ndarray) -> dict:
        h = self.emb(ops.convert_to_tensor(upper_ids, "int32"))
        for g in self.gconvs:
            h = g(h, training=False)
        enc = self.layers["enc_norm"](h)
        b = upper_ids.shape[0]
        return {"enc": ops.convert_to_numpy(enc),
                "h": np.zeros((b, self.layers["dec_gru"].units), np.float32)}

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        enc = ops.convert_to_tensor(state["enc"])
        x = ops.concatenate([self.emb(ops.convert_to_tensor(prev[:, None], "int32")),
                             enc[:, t:t + 1]], axis=-1)
        x = self.layers["dec_in"](x)
        s, h = self.layers["dec_gru"](x, initial_state=[ops.convert_to_tensor(state["h"])])
        ctx = self.layers["attention"](s, enc)
        out = self.layers["combine"](ops.concatenate([s, ctx, enc[:, t:t + 1]], axis=-1))
        logp = ops.log_softmax(self.layers["logits"](out)[:, 0], axis=-1)
        return ops.convert_to_numpy(logp), {"enc": state["enc"], "h": ops.convert_to_numpy(h)}


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
