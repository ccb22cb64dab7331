"""Word2Vec in Keras 3 (``keras.ops`` only: TensorFlow, JAX or PyTorch backend).

Skip-gram or CBOW with negative sampling (SGNS), after Su Jianlin's 「不可思议的Word2Vec」6.
Keras版的Word2Vec. For a centre (or the mean of the context vectors, CBOW) u, its true target
t and k noise words n_1..n_k drawn from the unigram^0.75 distribution, the loss is

    L = -log s(u . v_t) - sum_j log s(-u . v_nj),      s = logistic sigmoid

summed over the batch (so that the learning rate means what it means in gensim: a step per
pair), with plain SGD and a learning rate decaying linearly from ``alpha`` to ``min_alpha``
over the whole run. The word vectors are the input embeddings.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import ops

from zhpipe.embeddings.pairs import cbow_examples, negatives, skipgram_pairs, subsample
from zhpipe.embeddings.vocab import negative_distribution


@keras.saving.register_keras_serializable(package="zhpipe")
class SGNS(keras.Model):
    """Input and output embeddings; ``call`` returns the logits of [target, noise...]."""

    def __init__(self, vocab_size: int, dim: int, cbow: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.dim, self.cbow = vocab_size, dim, cbow
        # One extra row for padding (id = vocab_size) in CBOW contexts; kept at zero by the mask.
        self.word_in = keras.layers.Embedding(
            vocab_size + 1, dim, name="word_in",
            embeddings_initializer=keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim))
        self.word_out = keras.layers.Embedding(vocab_size + 1, dim, name="word_out",
                                               embeddings_initializer="zeros")

    def call(self, inputs):
        source, targets = inputs
        if self.cbow:
            mask = ops.cast(ops.not_equal(source, self.vocab_size), "float32")  # (B, 2w)
            vecs = self.word_in(source) * ops.expand_dims(mask, -1)
            u = ops.sum(vecs, axis=1) / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        else:
            u = self.word_in(source)  # (B, d)
        v = self.word_out(targets)  # (B, 1 + k, d)
        return ops.einsum("bd,bkd->bk", u, v)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        sign = ops.concatenate([ops.ones_like(y_pred[:, :1]), -ops.ones_like(y_pred[:, 1:])],
                               axis=1)
        return -ops.sum(ops.log_sigmoid(sign * y_pred))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim,
                "cbow": self.cbow}

    @property
    def vectors(self) -> np.ndarray:
        return ops.convert_to_numpy(self.word_in.embeddings)[: self.vocab_size]


def train_keras(ids: np.ndarray, offsets: np.ndarray, counts: np.ndarray, *, dim: int,
                window: int, negative: int, sample: float, epochs: int, alpha: float,
                min_alpha: float, seed: int, batch_size: int, cbow: bool = False,
                chunk: int = 2_000_000, progress=None) -> tuple[np.ndarray, dict]:
    """Train SGNS on an encoded corpus; return (vectors, stats with effective words/s)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    v = len(counts)
    model = SGNS(v, dim, cbow=cbow)
    cdf = np.cumsum(negative_distribution(counts))
    # Expected number of examples, for the learning-rate schedule (first epoch as estimate).
    kept, sent = subsample(ids, offsets, counts, sample, rng)
    per_epoch = len(kept) * (window + 1) if not cbow else len(kept)
    steps = max(1, epochs * per_epoch // batch_size)
    schedule = keras.optimizers.schedules.PolynomialDecay(alpha, steps, min_alpha, power=1.0)
    # XLA: 2.3x the steps/s of the plain graph on TensorFlow CPU (measured, batch 4096)
    model.compile(optimizer=keras.optimizers.SGD(schedule), jit_compile=True)
    effective = 0
    t0 = time.perf_counter()
    for epoch in range(epochs):
        if epoch:
            kept, sent = subsample(ids, offsets, counts, sample, rng)
        effective += len(kept)
        if cbow:
            src, tgt = cbow_examples(kept, sent, window, rng)
            src = np.where(src < 0, v, src)
        else:
            src, tgt = skipgram_pairs(kept, sent, window, rng)
        for s in range(0, len(tgt), chunk):
            n = len(tgt[s:s + chunk])
            targets = np.concatenate([tgt[s:s + chunk, None], negatives(n, negative, cdf, rng)],
                                     axis=1)
            model.fit([src[s:s + chunk], targets], None, batch_size=batch_size, epochs=1,
                      shuffle=False, verbose=0)
            if progress:
                progress(epoch, s + n, len(tgt))
    seconds = time.perf_counter() - t0
    return model.vectors, {"effective_words": int(effective), "seconds": seconds,
                           "words_per_sec": effective / seconds if seconds else 0.0,
                           "backend": keras.backend.backend()}
