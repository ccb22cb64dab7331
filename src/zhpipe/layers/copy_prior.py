"""Su Jianlin's prior for text-to-text models: the characters of the input are likely outputs."""

from __future__ import annotations

import keras
from keras import ops


def presence(src_ids, vocab_size: int):
    """``(B, S)`` ids -> ``(B, V)`` 1.0 for each character id that occurs in the row (padding,
    id 0, never counts)."""
    shape = ops.shape(src_ids)
    rows = ops.repeat(ops.expand_dims(ops.arange(shape[0], dtype="int32"), 1), shape[1], axis=1)
    idx = ops.stack([ops.reshape(rows, (-1,)), ops.reshape(ops.cast(src_ids, "int32"), (-1,))],
                    axis=1)
    counts = ops.scatter(idx, ops.ones((shape[0] * shape[1],), "float32"),
                         (shape[0], vocab_size))
    real = ops.cast(ops.arange(vocab_size) > 0, "float32")
    return ops.cast(counts > 0, "float32") * real


@keras.saving.register_keras_serializable(package="zhpipe")
class CopyPrior(keras.layers.Layer):
    """``(logits (B, T, V), src_ids (B, S))`` -> ``(logits + prior) / 2``, where the prior is a
    learned scale and shift of the 0/1 vector of the characters the input holds
    (``presence * exp(log_scale) + shift``, one pair a character), as in Su Jianlin's
    玩转Keras之seq2seq自动生成标题: a title mostly reuses its text's characters, and the model
    need not learn that from scratch for every character."""

    def __init__(self, vocab_size: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def build(self, logits_shape, src_ids_shape=None):
        self.log_scale = self.add_weight(shape=(self.vocab_size,), initializer="zeros",
                                         name="log_scale")
        self.shift = self.add_weight(shape=(self.vocab_size,), initializer="zeros", name="shift")

    def call(self, logits, src_ids):
        prior = presence(src_ids, self.vocab_size) * ops.exp(self.log_scale) + self.shift
        return (logits + ops.expand_dims(prior, 1)) / 2.0

    def compute_output_shape(self, logits_shape, src_ids_shape=None):
        return logits_shape

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size}
