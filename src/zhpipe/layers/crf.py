"""A linear-chain CRF layer for Keras 3 (``keras.ops`` only: TensorFlow, JAX, PyTorch).

After Su Jianlin's 简明条件随机场CRF介绍(附带纯Keras实现) and bert4keras's ConditionalRandomField:
the layer is the identity on its input (the emission scores ``x``, shape (batch, time, tags))
and carries the trainable transition scores, the loss and decoding.

For tags y_1..y_n of a sequence with emissions x_t and transitions A, start s and end e::

    score(y) = s[y_1] + sum_t x_t[y_t] + sum_{t>1} A[y_{t-1}, y_t] + e[y_n]
    loss     = log Z - score(y),   log Z = logsumexp over all tag sequences of score

log Z comes from the forward algorithm in log space (``keras.ops.scan`` over time); padded
steps (label -1) leave the forward variables unchanged, so one batch holds sequences of any
length. Decoding is Viterbi, batched in ``keras.ops`` (:meth:`CRF.decode`, for the GPU) or in
NumPy (:func:`viterbi_numpy`, for small CPU jobs). Hard constraints forbid impossible
transitions (B after B in BMES, I without B in BIO) by adding a large negative score.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

NEG = -1e4  # the score of a forbidden transition: exp(NEG) is 0 in float32


@keras.saving.register_keras_serializable(package="zhpipe")
class CRF(keras.layers.Layer):
    """Linear-chain CRF over emissions (B, T, K): the identity in ``call``; ``loss`` and
    ``decode`` use the trainable transitions plus the hard ``constraints`` (forbidden
    ``transitions`` pairs, ``start`` and ``end`` tags)."""

    def __init__(self, num_tags: int, constraints: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the identity: a BiLSTM's padding mask passes through
        self.num_tags = num_tags
        self.constraints = constraints or {"transitions": [], "start": [], "end": []}
        k = num_tags
        forbid = np.zeros((k, k), dtype="float32")
        for a, b in self.constraints.get("transitions", []):
            forbid[a, b] = NEG
        start = np.zeros(k, dtype="float32")
        start[list(self.constraints.get("start", []))] = NEG
        end = np.zeros(k, dtype="float32")
        end[list(self.constraints.get("end", []))] = NEG
        self._forbid, self._start_mask, self._end_mask = forbid, start, end

    def build(self, input_shape):
        k = self.num_tags
        self.transitions = self.add_weight(shape=(k, k), initializer="zeros", name="transitions")
        self.start = self.add_weight(shape=(k,), initializer="zeros", name="start")
        self.end = self.add_weight(shape=(k,), initializer="zeros", name="end")

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags,
                "constraints": {k: [list(v) if isinstance(v, tuple | list) else v for v in vs]
                                for k, vs in self.constraints.items()}}

    # --------------------------------------------------------------------- scores
    def _params(self):
        trans = self.transitions + ops.convert_to_tensor(self._forbid)
        start = self.start + ops.convert_to_tensor(self._start_mask)
        end = self.end + ops.convert_to_tensor(self._end_mask)
        return trans, start, end

    @staticmethod
    def _steps(x, mask):
        """Time-major steps 1..T-1, the mask as a last column: one tensor, because
        TensorFlow's scan over several tensors of unknown length fails (keras 3.15)."""
        m = ops.cast(mask[:, 1:, None], "float32")
        return ops.transpose(ops.concatenate([x[:, 1:], m], axis=2), (1, 0, 2))

    def log_partition(self, x, mask):
        """log Z for each sequence: x (B, T, K) float, mask (B, T) bool (prefix of True)."""
        trans, start, end = self._params()
        x = ops.cast(x, "float32")
        alpha0 = start[None, :] + x[:, 0]
        xs = self._steps(x, mask)

        def step(alpha, inputs):
            emit, m = inputs[:, :-1], inputs[:, -1] > 0.5
            new = ops.logsumexp(alpha[:, :, None] + trans[None], axis=1) + emit
            alpha = ops.where(m[:, None], new, alpha)
            return alpha, alpha  # (TensorFlow's scan wants outputs shaped like the carry)

        alpha, _ = ops.scan(step, alpha0, xs)
        return ops.logsumexp(alpha + end[None, :], axis=1)

    def sequence_score(self, x, y, mask):
        """score(y) for each sequence; y (B, T) int with any value at padded steps."""
        trans, start, end = self._params()
        x = ops.cast(x, "float32")
        k = self.num_tags
        y = ops.where(mask, y, 0)
        m = ops.cast(mask, "float32")
        onehot = ops.one_hot(y, k)  # (B, T, K)
        emit = ops.sum(ops.sum(onehot * x, axis=2) * m, axis=1)
        pair = ops.einsum("btk,kl,btl->bt", onehot[:, :-1], trans, onehot[:, 1:])
        pair = ops.sum(pair * m[:, 1:], axis=1)
        first = ops.sum(onehot[:, 0] * start[None, :], axis=1)
        length = ops.cast(ops.sum(m, axis=1), "int32")
        last_tag = ops.take_along_axis(y, ops.maximum(length - 1, 0)[:, None], axis=1)[:, 0]
        last = ops.take(end, last_tag)
        return emit + pair + first + last

    def loss(self, y_true, y_pred):
        """Mean negative log-likelihood; padded steps carry the label -1."""
        y_true = ops.cast(y_true, "int32")
        if len(y_true.shape) == 3:  # (B, T, 1) as Keras may pass it
            y_true = y_true[..., 0]
        mask = ops.greater_equal(y_true, 0)
        nll = self.log_partition(y_pred, mask) - self.sequence_score(y_pred, y_true, mask)
        return ops.mean(nll)

    # --------------------------------------------------------------------- decoding
    def decode(self, x, mask):
        """Viterbi in keras.ops: best tags (B, T) int32; padded steps get tag 0."""
        trans, start, end = self._params()
        x = ops.cast(x, "float32")
        t_len = x.shape[1]
        score0 = start[None, :] + x[:, 0]
        xs = self._steps(x, mask)

        def step(score, inputs):
            emit, m = inputs[:, :-1], inputs[:, -1] > 0.5
            cand = score[:, :, None] + trans[None]  # (B, K_from, K_to)
            best_prev = ops.cast(ops.argmax(cand, axis=1), "int32")
            new = ops.max(cand, axis=1) + emit
            # on padded steps keep the score and point every tag to itself
            ident = ops.broadcast_to(ops.arange(self.num_tags, dtype="int32")[None, :],
                                     ops.shape(best_prev))
            # (float: TensorFlow's scan stacks outputs in the dtype of its inputs)
            return ops.where(m[:, None], new, score), ops.cast(
                ops.where(m[:, None], best_prev, ident), "float32")

        score, back = ops.scan(step, score0, xs)  # back: (T-1, B, K)
        back = ops.cast(back, "int32")
        last = ops.cast(ops.argmax(score + end[None, :], axis=1), "int32")  # (B,)
        if t_len == 1:
            return last[:, None]

        def back_step(tag, bp):
            prev = ops.take_along_axis(bp, tag[:, None], axis=1)[:, 0]
            return prev, tag

        first, tags_rev = ops.scan(back_step, last, back, reverse=True)
        tags = ops.concatenate([first[:, None], ops.transpose(tags_rev, (1, 0))], axis=1)
        return ops.where(mask, tags, 0)

    def numpy_params(self):
        trans, start, end = self._params()
        return tuple(ops.convert_to_numpy(v) for v in (trans, start, end))
