"""Gated-Attention (Dhingra et al. 2017) of passage states over a query."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class GatedAttention(keras.layers.Layer):
    """``d_i * sum_j softmax_j(d_i . q_j) q_j`` over the query's non-padding positions."""

    def call(self, inputs):
        d_h, q_h, q_ids = inputs
        scores = ops.einsum("bdh,bqh->bdq", d_h, q_h)
        scores = ops.where(ops.expand_dims(q_ids > 0, 1), scores, ops.full_like(scores, -1e9))
        ctx = ops.einsum("bdq,bqh->bdh", ops.softmax(scores, axis=-1), q_h)
        return d_h * ctx

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def compute_mask(self, inputs, mask=None):
        return None
