"""Learned position embeddings added to a sequence of vectors (Transformer inputs)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class PositionEmbedding(keras.layers.Layer):
    """``(B, T, D)`` -> the same plus a learned vector per position ``0..T-1`` (``T`` at most
    ``max_len``)."""

    def __init__(self, max_len: int, **kwargs):
        super().__init__(**kwargs)
        self.max_len = max_len

    def build(self, x_shape):
        self.embeddings = self.add_weight(shape=(self.max_len, x_shape[-1]),
                                          initializer=keras.initializers.RandomNormal(0.0, 0.02),
                                          name="embeddings")

    def call(self, x):
        t = ops.shape(x)[1]
        table = ops.convert_to_tensor(self.embeddings)  # JAX slices arrays, not variables
        return x + ops.expand_dims(ops.slice(table, (0, 0), (t, ops.shape(x)[-1])), 0)

    def compute_output_shape(self, x_shape):
        return x_shape

    def get_config(self):
        return {**super().get_config(), "max_len": self.max_len}
