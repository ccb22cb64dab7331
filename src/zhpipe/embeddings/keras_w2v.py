"""Word2Vec in Keras 3 (``keras.ops`` only: TensorFlow, JAX or PyTorch backend).

Skip-gram or CBOW with negative sampling (SGNS), after Su Jianlin's 「不可思议的Word2Vec」6.
Keras版的Word2Vec. For a centre (or the mean of the context vectors, CBOW) u, its true target
t and k noise words n_1..n_k drawn from the unigram^0.75 distribution, the loss is

    L = -log s(u . v_t) - sum_j log s(-u . v_nj),      s = logistic sigmoid

summed over the batch (so that the learning rate means what it means in gensim: a step per
pair), with plain SGD and a learning rate decaying linearly from ``alpha`` to ``min_alpha``
over the whole run. The word vectors are the input embeddings.

``shared_negatives`` (group size g > 1) is BlazingText's negative sharing (Gupta & Khare 2017):
the pairs of a batch are cut into groups of g consecutive (shuffled) pairs and every pair of a
group is scored against the same k noise words. Each pair still sees k noise words drawn from the
same distribution, so the objective is unchanged in expectation, but the noise scores become one
batched matrix product (g x d by d x k) instead of g * k separate gathers and dot products, and
the output-embedding gradient touches B + B k / g rows instead of B (1 + k). Measured on the
2-core CPU (bench/word2vec.py): 2.5x the words/s of per-pair noise at the same CA8 accuracy. It
is meant for the accelerator too, where it has not been measured yet.
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

    def __init__(self, vocab_size: int, dim: int, cbow: bool = False, shared_negatives: int = 1,
                 **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.dim, self.cbow = vocab_size, dim, cbow
        self.shared_negatives = shared_negatives
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
        g = self.shared_negatives
        if g == 1:
            v = self.word_out(targets)  # (B, 1 + k, d)
            return ops.einsum("bd,bkd->bk", u, v)
        # The batch size must be a multiple of g: the first row of each group carries its noise.
        pos = ops.sum(u * self.word_out(targets[:, 0]), axis=-1, keepdims=True)  # (B, 1)
        noise = self.word_out(targets[::g, 1:])  # (B / g, k, d)
        neg = ops.einsum("gbd,gkd->gbk", ops.reshape(u, (-1, g, self.dim)), noise)
        return ops.concatenate([pos, ops.reshape(neg, (-1, ops.shape(noise)[1]))], axis=1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        sign = ops.concatenate([ops.ones_like(y_pred[:, :1]), -ops.ones_like(y_pred[:, 1:])],
                               axis=1)
        return -ops.sum(ops.log_sigmoid(sign * y_pred))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim,
                "cbow": self.cbow, "shared_negatives": self.shared_negatives}

    @property
    def vectors(self) -> np.ndarray:
        return ops.convert_to_numpy(self.word_in.embeddings)[: self.vocab_size]


def train_keras(ids: np.ndarray, offsets: np.ndarray, counts: np.ndarray, *, dim: int,
                window: int, negative: int, sample: float, epochs: int, alpha: float,
                min_alpha: float, seed: int, batch_size: int, cbow: bool = False,
                shared_negatives: int = 1, steps_per_execution: int = 32,
                chunk: int = 2_000_000,
                progress=None) -> tuple[np.ndarray, dict]:
    """Train SGNS on an encoded corpus; return (vectors, stats with effective words/s).

    With ``shared_negatives`` g > 1 the batch size is rounded down to a multiple of g, and the
    last (fewer than g) shuffled examples of each epoch are left out so that every batch holds
    whole groups."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    v = len(counts)
    g = max(1, shared_negatives)
    if g > 1:
        if batch_size < g:
            raise ValueError(f"batch_size {batch_size} is smaller than shared_negatives {g}")
        batch_size -= batch_size % g
        chunk -= chunk % batch_size  # every batch of every chunk holds whole groups
    model = SGNS(v, dim, cbow=cbow, shared_negatives=g)
    cdf = np.cumsum(negative_distribution(counts))
    # Expected number of examples, for the learning-rate schedule (first epoch as estimate).
    kept, sent = subsample(ids, offsets, counts, sample, rng)
    per_epoch = len(kept) * (window + 1) if not cbow else len(kept)
    steps = max(1, epochs * per_epoch // batch_size)
    schedule = keras.optimizers.schedules.PolynomialDecay(alpha, steps, min_alpha, power=1.0)
    # XLA: 2.3x the steps/s of the plain graph on TensorFlow CPU (measured, batch 4096). Several
    # steps per execution: the per-step cost of Keras' input pipeline was half of the time.
    if keras.backend.backend() == "torch":
        steps_per_execution = 1  # older Keras releases refuse more on torch; no gain there anyway
    model.compile(optimizer=keras.optimizers.SGD(schedule), jit_compile=True,
                  steps_per_execution=steps_per_execution)
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
        if g > 1:
            src, tgt = src[: len(tgt) - len(tgt) % g], tgt[: len(tgt) - len(tgt) % g]
        for s in range(0, len(tgt), chunk):
            n = len(tgt[s:s + chunk])
            if g == 1:
                noise = negatives(n, negative, cdf, rng)
            else:  # only the first row of each group is read
                noise = np.zeros((n, negative), np.int32)
                noise[::g] = negatives(n // g, negative, cdf, rng)
            targets = np.concatenate([tgt[s:s + chunk, None], noise], axis=1)
            model.fit([src[s:s + chunk], targets], None, batch_size=batch_size, epochs=1,
                      shuffle=False, verbose=0)
            if progress:
                progress(epoch, s + n, len(tgt))
    seconds = time.perf_counter() - t0
    return model.vectors, {"effective_words": int(effective), "seconds": seconds,
                           "words_per_sec": effective / seconds if seconds else 0.0,
                           "backend": keras.backend.backend()}
