"""The cloze reader's query vector at the blank."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class BlankQuery(keras.layers.Layer):
    """The query vector: query state at the blank, plus the passage state at its blank."""

    def build(self, input_shapes):
        width = input_shapes[0][-1]
        self.proj = self.add_weight(shape=(2 * width, width), initializer="glorot_uniform",
                                    name="proj")

    def call(self, inputs):
        q_h, d_h, q_blank, d_blank, has_d = inputs
        q = ops.take_along_axis(q_h, ops.expand_dims(q_blank, -1), axis=1)[:, 0]
        d = ops.take_along_axis(d_h, ops.expand_dims(d_blank, -1), axis=1)[:, 0] * has_d
        return ops.matmul(ops.concatenate([q, d], axis=-1), self.proj)

    def compute_output_shape(self, input_shapes):
        return (input_shapes[0][0], input_shapes[0][-1])

    def compute_mask(self, inputs, mask=None):
        return None
