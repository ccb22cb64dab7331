"""An embedding that also scores: the same matrix turns ids into vectors and vectors into logits
over the vocabulary (tied input and output embeddings, Press & Wolf 2017)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class ReversibleEmbedding(keras.layers.Layer):
    """``ids (B, T)`` -> ``(B, T, D)`` vectors; with ``reverse=True``, ``(B, T, D)`` ->
    ``(B, T, V)`` logits: the vectors times the embedding matrix transposed, plus a learned bias
    a character. One ``V x D`` matrix serves both ends of a generator, which saves its
    parameters and lets rare characters learn from both. ``input_dim`` / ``output_dim`` as
    :class:`keras.layers.Embedding`; ``input_scale`` multiplies the vectors looked up (not the
    logits): with ``sqrt(output_dim)`` (Vaswani et al.) a small matrix that gives moderate
    logits still gives input vectors as large as the states they are added to."""

    def __init__(self, input_dim: int, output_dim: int, input_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.input_scale = float(input_scale)
        self.embeddings = self.add_weight(
            shape=(input_dim, output_dim), initializer="uniform", name="embeddings")
        self.output_bias = self.add_weight(shape=(input_dim,), initializer="zeros",
                                           name="output_bias")
        self.built = True

    def call(self, inputs, reverse: bool = False):
        table = ops.convert_to_tensor(self.embeddings)
        if reverse:
            return ops.matmul(inputs, ops.transpose(table)) + self.output_bias
        vectors = ops.take(table, ops.cast(inputs, "int32"), axis=0)
        return vectors * self.input_scale if self.input_scale != 1.0 else vectors

    def compute_output_shape(self, input_shape, reverse: bool = False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs, reverse: bool = False):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape, reverse),
                                 dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim, "input_scale": self.input_scale}
