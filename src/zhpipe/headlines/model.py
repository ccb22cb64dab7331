"""Su Jianlin's headline model in Keras 3 (``keras.ops`` only), and its NumPy decoder.

Character level, one embedding shared by the text and the headline:

* **encoder**: ``enc_layers`` bidirectional LSTMs over the text (padding masked);
* **decoder**: ``dec_layers`` LSTMs over the headline so far (teacher forcing in training);
* **attention**: multi-head attention of each decoder position over the encoder states (never
  over padding); the decoder state and the attention output, concatenated, make the logits;
* **prior** (``copy_prior``): the logits averaged with a learned scale and shift of the 0/1
  vector of the text's characters (:class:`zhpipe.layers.CopyPrior`): a headline mostly reuses
  its text's characters.

Decoding (:class:`TitlerInference`) runs the encoder once in Keras, then the decoder one position
at a time in NumPy (:mod:`zhpipe.seq2seq.steps`) inside the shared beam search.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zhpipe.layers import CopyPrior, KeyPaddingMask
from zhpipe.seq2seq.steps import AttentionStep, LSTMStep, log_softmax, weights
from zhpipe.seq2seq.vocab import PAD


def build_titler(vocab_size: int, *, dim: int = 128, enc_layers: int = 1, dec_layers: int = 1,
                 heads: int = 4, dropout: float = 0.1, copy_prior: bool = True) -> keras.Model:
    """Training model: ``[text ids (B, S), previous headline ids (B, T)]`` -> ``(B, T, V)``
    logits. ``prev`` is the headline shifted right with BOS first."""
    if dim % 2:
        raise ValueError(f"dim must be even (two LSTM directions of dim/2), got {dim}")
    src = keras.Input((None,), dtype="int32", name="text")
    prev = keras.Input((None,), dtype="int32", name="prev")
    emb = keras.layers.Embedding(vocab_size, dim, name="char_emb")
    src_mask = ops.not_equal(src, PAD)
    h = keras.layers.Dropout(dropout)(emb(src))
    for i in range(enc_layers):
        h = keras.layers.Bidirectional(
            keras.layers.LSTM(dim // 2, return_sequences=True), name=f"enc_lstm{i}")(
                h, mask=src_mask)
    enc = keras.layers.LayerNormalization(name="enc_norm")(h)
    s = keras.layers.Dropout(dropout)(emb(prev))
    for i in range(dec_layers):  # left to right: padding at the end changes no real position
        s = keras.layers.LSTM(dim, return_sequences=True, name=f"dec_lstm{i}")(s)
    attention = keras.layers.MultiHeadAttention(heads, max(dim // heads, 8), name="attention")
    ctx = attention(s, enc, attention_mask=KeyPaddingMask()(s, src))
    out = keras.layers.Dense(dim, name="combine")(keras.layers.Concatenate()([s, ctx]))
    logits = keras.layers.Dense(vocab_size, name="logits")(keras.layers.Dropout(dropout)(out))
    if copy_prior:
        logits = CopyPrior(vocab_size, name="prior")(logits, src)
    return keras.Model([src, prev], logits, name="titler")


def encoder_of(model: keras.Model) -> keras.Model:
    """The text -> encoder states part of a trained model."""
    return keras.Model(model.inputs[0], model.get_layer("enc_norm").output)


class TitlerInference:
    """Encoder once (Keras), then one decoder step at a time in NumPy from the model's weights;
    ``init``/``step`` as :func:`zhpipe.seq2seq.beam.beam_search` calls them. A test compares
    the steps with the training graph."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.encoder = encoder_of(model)
        names = {lay.name for lay in model.layers}
        self.lstms = [LSTMStep(model.get_layer(f"dec_lstm{i}"))
                      for i in range(sum(n.startswith("dec_lstm") for n in names))]
        self.attention = AttentionStep(model.get_layer("attention"))
        self.emb = weights(model.get_layer("char_emb").embeddings)
        comb, lg = model.get_layer("combine"), model.get_layer("logits")
        self.combine = (weights(comb.kernel), weights(comb.bias))
        self.logits = (weights(lg.kernel), weights(lg.bias))
        self.prior = None
        if "prior" in names:
            p = model.get_layer("prior")
            self.prior = (np.exp(weights(p.log_scale)), weights(p.shift))

    def init(self, src: np.ndarray) -> dict:
        # predict_on_batch: the compiled function (an eager call runs the LSTM loop op by op)
        enc = np.asarray(self.encoder.predict_on_batch(src.astype(np.int32)), np.float32)
        keys, values = self.attention.memory(enc)
        b = src.shape[0]
        # per input, shared by its beams (zhpipe.seq2seq.beam: static_*)
        state = {"static_keys": keys, "static_values": values, "static_key_mask": src != PAD}
        for i, lstm in enumerate(self.lstms):
            state[f"h{i}"] = np.zeros((b, lstm.units), np.float32)
            state[f"c{i}"] = np.zeros((b, lstm.units), np.float32)
        if self.prior is not None:
            present = np.zeros((b, self.emb.shape[0]), np.float32)
            np.put_along_axis(present, src.astype(np.int64), 1.0, axis=1)
            present[:, PAD] = 0.0
            scale, shift = self.prior
            state["static_prior"] = present * scale + shift
        return state

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        x = self.emb[prev]
        new = dict(state)
        for i, lstm in enumerate(self.lstms):
            x, c = lstm(x, state[f"h{i}"], state[f"c{i}"])
            new[f"h{i}"], new[f"c{i}"] = x.astype(np.float32), c.astype(np.float32)
        ctx = self.attention(x, state["static_keys"], state["static_values"],
                             state["static_key_mask"])
        out = np.concatenate([x, ctx], axis=-1) @ self.combine[0] + self.combine[1]
        logits = out @ self.logits[0] + self.logits[1]
        if self.prior is not None:
            prior = state["static_prior"]
            logits = ((logits.reshape(prior.shape[0], -1, prior.shape[1]) + prior[:, None])
                      / 2.0).reshape(logits.shape)
        return log_softmax(logits), new


def shift_right(tgt: np.ndarray, bos: int) -> np.ndarray:
    """Teacher-forcing input: BOS followed by all but the last target id."""
    out = np.empty_like(tgt)
    out[:, 0] = bos
    out[:, 1:] = tgt[:, :-1]
    return out
