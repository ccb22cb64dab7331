"""The Transformer encoder-decoder every generator shares: headlines from news text
(:mod:`zhpipe.headlines`, beside Su's LSTM model, with the same inputs, outputs and optional copy
prior) and couplets (:mod:`zhpipe.couplet`, beside Su's CNN tagger).

Pre-norm blocks (layer normalisation before each attention and feed-forward part), learned
position embeddings, one character embedding shared by input and output. Two options:

* ``tied``: the output layer is the character embedding transposed
  (:class:`zhpipe.layers.ReversibleEmbedding`) instead of its own ``D x V`` matrix, and the
  vectors looked up are scaled by ``sqrt(D)`` (without it the previous character's vector was
  a few per cent of the aligned encoder state it is added to, and the model learnt slowly);
* ``aligned``: for outputs that answer their input position by position (a couplet's lower
  line), the decoder's input at position ``t`` also gets the encoder state of input position
  ``t``, so that the alignment need not be found by attention.

The saved model is one flat graph; decoding rebuilds its two halves from the trained layers
(:func:`halves`): the encoder once per input, the decoder once per step on the whole prefix (the
prefix is beam-search state, reordered with the beams).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import keras
import numpy as np

from zhpipe.layers import (
    AlignTo,
    CopyPrior,
    KeyPaddingMask,
    PadMask,
    PositionEmbedding,
    ReversibleEmbedding,
)
from zhpipe.seq2seq.steps import AttentionStep, log_softmax, weights

Get = Callable[[str], keras.layers.Layer]

# a one-character input attends over one position, which is right; Keras warns all the same
warnings.filterwarnings("ignore", message="You are using a softmax over axis")


def _layers(vocab_size: int, dim: int, enc_layers: int, dec_layers: int, heads: int,
            dropout: float, copy_prior: bool, max_text: int, max_title: int, tied: bool,
            aligned: bool) -> dict[str, keras.layers.Layer]:
    key_dim = max(dim // heads, 8)
    att = lambda name: keras.layers.MultiHeadAttention(  # noqa: E731
        heads, key_dim, dropout=dropout, name=name)
    norm = lambda name: keras.layers.LayerNormalization(name=name)  # noqa: E731
    out = {"char_emb": (ReversibleEmbedding(vocab_size, dim, input_scale=dim ** 0.5,
                                            name="char_emb") if tied else
                        keras.layers.Embedding(vocab_size, dim, name="char_emb")),
           "src_pos": PositionEmbedding(max_text, name="src_pos"),
           "tgt_pos": PositionEmbedding(max_title, name="tgt_pos"),
           "enc_norm": norm("enc_norm"), "dec_norm": norm("dec_norm")}
    if not tied:
        out["logits"] = keras.layers.Dense(vocab_size, name="logits")
    if aligned:
        out["align"] = AlignTo(name="align")
    for i in range(enc_layers):
        out.update({f"enc{i}_n1": norm(f"enc{i}_n1"), f"enc{i}_att": att(f"enc{i}_att"),
                    f"enc{i}_n2": norm(f"enc{i}_n2")})
        out.update(_ffn_layers(f"enc{i}", dim))
    for i in range(dec_layers):
        out.update({f"dec{i}_n1": norm(f"dec{i}_n1"), f"dec{i}_self": att(f"dec{i}_self"),
                    f"dec{i}_n2": norm(f"dec{i}_n2"), f"dec{i}_cross": att(f"dec{i}_cross"),
                    f"dec{i}_n3": norm(f"dec{i}_n3")})
        out.update(_ffn_layers(f"dec{i}", dim))
    if copy_prior:
        out["prior"] = CopyPrior(vocab_size, name="prior")
    return out


def _ffn_layers(name: str, dim: int) -> dict[str, keras.layers.Layer]:
    return {f"{name}_ff1": keras.layers.Dense(dim * 4, activation="gelu", name=f"{name}_ff1"),
            f"{name}_ff2": keras.layers.Dense(dim, name=f"{name}_ff2")}


def _count(get_names: list[str], prefix: str, suffix: str) -> int:
    return sum(n.startswith(prefix) and n.endswith(suffix) for n in get_names)


def _encode(get: Get, names: list[str], src, dropout: float):
    drop = keras.layers.Dropout(dropout)
    h = drop(get("src_pos")(get("char_emb")(src)))
    for i in range(_count(names, "enc", "_att")):
        n = get(f"enc{i}_n1")(h)
        h = h + drop(get(f"enc{i}_att")(n, n, attention_mask=KeyPaddingMask()(n, src)))
        h = h + drop(get(f"enc{i}_ff2")(get(f"enc{i}_ff1")(get(f"enc{i}_n2")(h))))
    return PadMask()(get("enc_norm")(h), src)


def _decode(get: Get, names: list[str], enc, src, prev, dropout: float):
    drop = keras.layers.Dropout(dropout)
    s = get("char_emb")(prev)
    if "align" in names:
        s = s + get("align")(enc, prev)
    s = drop(get("tgt_pos")(s))
    for i in range(_count(names, "dec", "_self")):
        n = get(f"dec{i}_n1")(s)
        s = s + drop(get(f"dec{i}_self")(n, n, use_causal_mask=True))
        n = get(f"dec{i}_n2")(s)
        s = s + drop(get(f"dec{i}_cross")(n, enc, attention_mask=KeyPaddingMask()(n, src)))
        s = s + drop(get(f"dec{i}_ff2")(get(f"dec{i}_ff1")(get(f"dec{i}_n3")(s))))
    s = get("dec_norm")(s)
    logits = get("logits")(s) if "logits" in names else get("char_emb")(s, reverse=True)
    return get("prior")(logits, src) if "prior" in names else logits


def build_transformer(vocab_size: int, *, dim: int = 128, enc_layers: int = 2,
                      dec_layers: int = 2, heads: int = 4, dropout: float = 0.1,
                      copy_prior: bool = True, max_text: int = 512, max_title: int = 64,
                      tied: bool = False, aligned: bool = False, name: str = "titler_transformer"
                      ) -> keras.Model:
    """Training model: ``[input ids (B, S), previous output ids (B, T)]`` -> ``(B, T, V)``
    (``T <= S`` when ``aligned``). ``max_text`` / ``max_title``: the longest input / output
    (plus its start id) the position embeddings cover."""
    layers = _layers(vocab_size, dim, enc_layers, dec_layers, heads, dropout, copy_prior,
                     max_text, max_title, tied, aligned)
    names = list(layers)
    src = keras.Input((None,), dtype="int32", name="text")
    prev = keras.Input((None,), dtype="int32", name="prev")
    enc = _encode(layers.__getitem__, names, src, dropout)
    return keras.Model([src, prev], _decode(layers.__getitem__, names, enc, src, prev, dropout),
                       name=name)


def halves(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The trained model's encoder (text -> states) and decoder ((states, text, prefix) ->
    logits), sharing its layers."""
    names = [lay.name for lay in model.layers]
    dim = model.get_layer("char_emb").output_dim
    src = keras.Input((None,), dtype="int32")
    encoder = keras.Model(src, _encode(model.get_layer, names, src, 0.0))
    enc = keras.Input((None, dim))
    src2 = keras.Input((None,), dtype="int32")
    prev = keras.Input((None,), dtype="int32")
    decoder = keras.Model([enc, src2, prev], _decode(model.get_layer, names, enc, src2, prev,
                                                     0.0))
    return encoder, decoder


def is_transformer(model: keras.Model) -> bool:
    return any(lay.name == "tgt_pos" for lay in model.layers)


class _Norm:
    """Keras's LayerNormalization over the last axis."""

    def __init__(self, layer: keras.layers.LayerNormalization):
        self.gamma, self.beta = weights(layer.gamma), weights(layer.beta)
        self.eps = layer.epsilon

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.gamma + self.beta


def _gelu(x: np.ndarray) -> np.ndarray:
    """Keras's ``gelu`` (exact, with erf)."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class TransformerInference:
    """``init``/``step`` for :func:`zhpipe.seq2seq.beam.beam_search`, in NumPy from the trained
    weights: the encoder once per batch, then one decoder position a step, with the
    self-attention keys and values of the positions written so far kept as beam state (a
    cache: each step costs one position, not the whole prefix). A test compares every step with
    the training graph."""

    def __init__(self, model: keras.Model):
        names = [lay.name for lay in model.layers]
        get = model.get_layer
        self.max_len = get("tgt_pos").max_len - 1  # positions: BOS and the ids
        emb = get("char_emb")
        self.emb = weights(emb.embeddings)
        self.emb_in = self.emb * getattr(emb, "input_scale", 1.0)  # what the lookup gives
        self.pos = weights(get("tgt_pos").embeddings)
        self.aligned = "align" in names
        if "logits" in names:
            self.out = (weights(get("logits").kernel), weights(get("logits").bias))
        else:
            self.out = (np.ascontiguousarray(self.emb.T), weights(emb.output_bias))
        self.prior = ((weights(get("prior").log_scale), weights(get("prior").shift))
                      if "prior" in names else None)
        self.dec_norm = _Norm(get("dec_norm"))
        self.src_pos = weights(get("src_pos").embeddings)
        self.enc_norm = _Norm(get("enc_norm"))
        self.enc_blocks = [
            {"n1": _Norm(get(f"enc{i}_n1")), "att": AttentionStep(get(f"enc{i}_att")),
             "n2": _Norm(get(f"enc{i}_n2")),
             "ff1": (weights(get(f"enc{i}_ff1").kernel), weights(get(f"enc{i}_ff1").bias)),
             "ff2": (weights(get(f"enc{i}_ff2").kernel), weights(get(f"enc{i}_ff2").bias))}
            for i in range(_count(names, "enc", "_att"))]
        self.blocks = []
        for i in range(_count(names, "dec", "_self")):
            self.blocks.append({
                "n1": _Norm(get(f"dec{i}_n1")), "self": AttentionStep(get(f"dec{i}_self")),
                "n2": _Norm(get(f"dec{i}_n2")), "cross": AttentionStep(get(f"dec{i}_cross")),
                "n3": _Norm(get(f"dec{i}_n3")),
                "ff1": (weights(get(f"dec{i}_ff1").kernel), weights(get(f"dec{i}_ff1").bias)),
                "ff2": (weights(get(f"dec{i}_ff2").kernel), weights(get(f"dec{i}_ff2").bias))})

    def encode(self, src: np.ndarray) -> np.ndarray:
        """The encoder half in NumPy: ``(B, S)`` ids -> ``(B, S, D)`` states (0 at padding)."""
        mask = src != 0
        h = self.emb_in[src] + self.src_pos[:src.shape[1]]
        for blk in self.enc_blocks:
            n = blk["n1"](h)
            keys, values = blk["att"].memory(n)
            # every position is a query of its own input: rows i * S .. of input i
            h = h + blk["att"](n.reshape(-1, n.shape[-1]), keys, values, mask).reshape(n.shape)
            f = _gelu(blk["n2"](h) @ blk["ff1"][0] + blk["ff1"][1])
            h = h + f @ blk["ff2"][0] + blk["ff2"][1]
        return (self.enc_norm(h) * mask[..., None]).astype(np.float32)

    def init(self, src: np.ndarray) -> dict:
        enc = self.encode(np.asarray(src, np.int64))
        state = {"static_enc": enc, "static_mask": src != 0}
        for i, blk in enumerate(self.blocks):
            state[f"static_k{i}"], state[f"static_v{i}"] = blk["cross"].memory(enc)
            heads, kd = blk["self"].q[0].shape[1:]
            state[f"self_k{i}"] = np.zeros((src.shape[0], heads, 0, kd), np.float32)
            state[f"self_v{i}"] = np.zeros((src.shape[0], heads, 0, kd), np.float32)
        if self.prior is not None:
            present = np.zeros((src.shape[0], self.emb.shape[0]), np.float32)
            np.put_along_axis(present, src.astype(np.int64), 1.0, axis=1)
            present[:, 0] = 0.0  # padding never counts
            state["static_prior"] = present * np.exp(self.prior[0]) + self.prior[1]
        return state

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        enc = state["static_enc"]
        k = prev.shape[0] // enc.shape[0]
        x = self.emb_in[prev] + self.pos[t]
        if self.aligned:
            x = x + np.repeat(enc[:, t], k, axis=0)
        new = {}
        for i, blk in enumerate(self.blocks):
            att = blk["self"]
            n = blk["n1"](x)
            kk, kb = att.k
            vk, vb = att.v
            key = ((n @ kk.reshape(kk.shape[0], -1)).reshape(-1, *kb.shape) + kb)[:, :, None]
            val = ((n @ vk.reshape(vk.shape[0], -1)).reshape(-1, *vb.shape) + vb)[:, :, None]
            keys = np.concatenate([state[f"self_k{i}"], key], axis=2)
            values = np.concatenate([state[f"self_v{i}"], val], axis=2)
            new[f"self_k{i}"], new[f"self_v{i}"] = keys, values
            x = x + att(n, keys, values)  # one query row per beam: its own cache
            x = x + blk["cross"](blk["n2"](x), state[f"static_k{i}"], state[f"static_v{i}"],
                                 state["static_mask"])
            h = _gelu(blk["n3"](x) @ blk["ff1"][0] + blk["ff1"][1])
            x = x + h @ blk["ff2"][0] + blk["ff2"][1]
        logits = self.dec_norm(x) @ self.out[0] + self.out[1]
        if self.prior is not None:
            logits = (logits + np.repeat(state["static_prior"], k, axis=0)) / 2.0
        return log_softmax(logits.astype(np.float64)), {**state, **new}
