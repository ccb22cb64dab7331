"""A Transformer encoder-decoder for headlines (what the field uses since Su's LSTM post), with
the same inputs, outputs and optional copy prior as :func:`zhpipe.headlines.model.build_titler`,
so that one training loop and one beam search serve both.

Pre-norm blocks (layer normalisation before each attention and feed-forward part), learned
position embeddings, one character embedding shared by text and headline. The saved model is
one flat graph; decoding rebuilds its two halves from the trained layers (:func:`halves`): the
encoder once per text, the decoder once per step on the whole prefix (the prefix is beam-search
state, reordered with the beams).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import ops

from zhpipe.layers import CopyPrior, KeyPaddingMask, PadMask, PositionEmbedding

Get = Callable[[str], keras.layers.Layer]


def _layers(vocab_size: int, dim: int, enc_layers: int, dec_layers: int, heads: int,
            dropout: float, copy_prior: bool, max_text: int, max_title: int
            ) -> dict[str, keras.layers.Layer]:
    key_dim = max(dim // heads, 8)
    att = lambda name: keras.layers.MultiHeadAttention(  # noqa: E731
        heads, key_dim, dropout=dropout, name=name)
    norm = lambda name: keras.layers.LayerNormalization(name=name)  # noqa: E731
    out = {"char_emb": keras.layers.Embedding(vocab_size, dim, name="char_emb"),
           "src_pos": PositionEmbedding(max_text, name="src_pos"),
           "tgt_pos": PositionEmbedding(max_title, name="tgt_pos"),
           "enc_norm": norm("enc_norm"), "dec_norm": norm("dec_norm"),
           "logits": keras.layers.Dense(vocab_size, name="logits")}
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
    s = drop(get("tgt_pos")(get("char_emb")(prev)))
    for i in range(_count(names, "dec", "_self")):
        n = get(f"dec{i}_n1")(s)
        s = s + drop(get(f"dec{i}_self")(n, n, use_causal_mask=True))
        n = get(f"dec{i}_n2")(s)
        s = s + drop(get(f"dec{i}_cross")(n, enc, attention_mask=KeyPaddingMask()(n, src)))
        s = s + drop(get(f"dec{i}_ff2")(get(f"dec{i}_ff1")(get(f"dec{i}_n3")(s))))
    logits = get("logits")(get("dec_norm")(s))
    return get("prior")(logits, src) if "prior" in names else logits


def build_transformer(vocab_size: int, *, dim: int = 128, enc_layers: int = 2,
                      dec_layers: int = 2, heads: int = 4, dropout: float = 0.1,
                      copy_prior: bool = True, max_text: int = 512, max_title: int = 64
                      ) -> keras.Model:
    """Training model: ``[text ids (B, S), previous headline ids (B, T)]`` -> ``(B, T, V)``."""
    layers = _layers(vocab_size, dim, enc_layers, dec_layers, heads, dropout, copy_prior,
                     max_text, max_title)
    names = list(layers)
    src = keras.Input((None,), dtype="int32", name="text")
    prev = keras.Input((None,), dtype="int32", name="prev")
    enc = _encode(layers.__getitem__, names, src, dropout)
    return keras.Model([src, prev], _decode(layers.__getitem__, names, enc, src, prev, dropout),
                       name="titler_transformer")


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


class TransformerInference:
    """``init``/``step`` for :func:`zhpipe.seq2seq.beam.beam_search`."""

    def __init__(self, model: keras.Model):
        self.encoder, self.decoder = halves(model)
        self.max_len = model.get_layer("tgt_pos").max_len - 1  # positions: BOS and the ids

    def init(self, src: np.ndarray) -> dict:
        enc = self.encoder(ops.convert_to_tensor(src, "int32"), training=False)
        return {"enc": np.asarray(ops.convert_to_numpy(enc), np.float32), "src": src,
                "prefix": np.zeros((src.shape[0], 0), np.int32)}

    def step(self, prev: np.ndarray, t: int, state: dict) -> tuple[np.ndarray, dict]:
        prefix = np.concatenate([state["prefix"], prev[:, None].astype(np.int32)], axis=1)
        logits = self.decoder([ops.convert_to_tensor(state["enc"]),
                               ops.convert_to_tensor(state["src"], "int32"),
                               ops.convert_to_tensor(prefix, "int32")], training=False)
        logp = ops.convert_to_numpy(ops.log_softmax(logits[:, -1], axis=-1))
        return np.asarray(logp, np.float64), {**state, "prefix": prefix}
