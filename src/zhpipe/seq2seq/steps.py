"""One decoder step in NumPy, reproducing Keras's layers from their weights.

Decoding calls a decoder once per output position for a handful of beams; calling Keras layers
eagerly there costs a millisecond or more of dispatch per layer, where the step itself is a few
small matrix products. These functions compute exactly what the Keras layers compute (the
models' tests compare them with the training graphs), so the couplet and headline decoders
share them."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def weights(v) -> np.ndarray:
    """A Keras variable as a float32 NumPy array."""
    return np.asarray(ops.convert_to_numpy(v), np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


class GRUStep:
    """Keras's GRU cell (``reset_after=True``: gates z, r, h)."""

    def __init__(self, layer: keras.layers.GRU):
        if not layer.cell.reset_after:
            raise ValueError("the NumPy decoder follows Keras's GRU with reset_after=True")
        self.kernel, self.recurrent = weights(layer.cell.kernel), weights(layer.cell.recurrent_kernel)
        self.bias = weights(layer.cell.bias)
        self.units = layer.units

    def __call__(self, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
        xz, xr, xh = np.split(x @ self.kernel + self.bias[0], 3, axis=-1)
        rz, rr, rh = np.split(h_prev @ self.recurrent + self.bias[1], 3, axis=-1)
        z, r = sigmoid(xz + rz), sigmoid(xr + rr)
        return z * h_prev + (1.0 - z) * np.tanh(xh + r * rh)


class LSTMStep:
    """Keras's LSTM cell (gates i, f, c, o; tanh and sigmoid): ``(x, (h, c)) -> (h, c)``."""

    def __init__(self, layer: keras.layers.LSTM):
        cell = layer.cell
        if cell.activation is not keras.activations.tanh or \
                cell.recurrent_activation is not keras.activations.sigmoid:
            raise ValueError("the NumPy decoder follows Keras's LSTM with tanh and sigmoid")
        self.kernel, self.recurrent = weights(cell.kernel), weights(cell.recurrent_kernel)
        self.bias = weights(cell.bias) if cell.use_bias else 0.0
        self.units = layer.units

    def __call__(self, x: np.ndarray, h: np.ndarray, c: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        zi, zf, zc, zo = np.split(x @ self.kernel + h @ self.recurrent + self.bias, 4, axis=-1)
        c = sigmoid(zf) * c + sigmoid(zi) * np.tanh(zc)
        return sigmoid(zo) * np.tanh(c), c


class AttentionStep:
    """Keras's MultiHeadAttention for one query position over fixed keys and values: the key
    and value projections of the memory are computed once per input (:meth:`memory`)."""

    def __init__(self, layer: keras.layers.MultiHeadAttention):
        self.q = (weights(layer._query_dense.kernel), weights(layer._query_dense.bias))
        self.k = (weights(layer._key_dense.kernel), weights(layer._key_dense.bias))
        self.v = (weights(layer._value_dense.kernel), weights(layer._value_dense.bias))
        self.o = (weights(layer._output_dense.kernel), weights(layer._output_dense.bias))
        self.scale = 1.0 / np.sqrt(layer._key_dim)

    def memory(self, enc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, T, D) -> keys and values (B, heads, T, key_dim)."""
        (kk, kb), (vk, vb) = self.k, self.v
        keys = np.einsum("btd,dhk->bthk", enc, kk) + kb
        values = np.einsum("btd,dhk->bthk", enc, vk) + vb
        return (np.ascontiguousarray(keys.transpose(0, 2, 1, 3)),
                np.ascontiguousarray(values.transpose(0, 2, 1, 3)))

    def __call__(self, query: np.ndarray, keys: np.ndarray, values: np.ndarray,
                 key_mask: np.ndarray | None = None) -> np.ndarray:
        """(N, D) queries -> (N, D) outputs, over the keys and values of B inputs (N = B * k:
        query row i reads input i // k, so beams share their input's keys without copies);
        ``key_mask`` (B, T): True where a key is real."""
        b = keys.shape[0]
        k = query.shape[0] // b
        q = (query @ self.q[0].reshape(self.q[0].shape[0], -1)).reshape(
            query.shape[0], *self.q[0].shape[1:]) + self.q[1]
        q = (q * self.scale).reshape(b, k, *q.shape[1:]).transpose(0, 2, 1, 3)  # (B, h, k, kd)
        scores = q @ keys.transpose(0, 1, 3, 2)  # (B, h, k, T)
        if key_mask is not None:
            scores = np.where(key_mask[:, None, None, :], scores, -1e9)
        att = np.exp(scores - scores.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ values).transpose(0, 2, 1, 3).reshape(b * k, -1)  # (N, h * kd)
        return ctx @ self.o[0].reshape(-1, self.o[0].shape[-1]) + self.o[1]
