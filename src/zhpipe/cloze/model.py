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
  Training maximises the probability mass on the positions of the answer."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from zhpipe.cloze.encoding import N_FEATURES
from zhpipe.layers import AttentionSum, BlankQuery, GatedAttention, GatedConv1D


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


