"""Attention-sum over candidate positions of a passage (Kadlec et al. 2016)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class AttentionSum(keras.layers.Layer):
    """Softmax over candidate positions of ``d_h . q``; padding and non-candidates get 0."""

    def call(self, inputs):
        d_h, q, cand = inputs
        scores = ops.einsum("bdh,bh->bd", d_h, q)
        scores = ops.where(cand > 0, scores, ops.full_like(scores, -1e9))
        return ops.softmax(scores, axis=-1)

    def compute_output_shape(self, input_shapes):
        return input_shapes[2]

    def compute_mask(self, inputs, mask=None):
        return None
