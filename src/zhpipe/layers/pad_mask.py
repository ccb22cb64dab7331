"""Zeroes padded positions, so that a text's output does not depend on its batch mates."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class PadMask(keras.layers.Layer):
    """Zeroes the padded positions (character id 0) of a sequence of vectors.

    Applied after every layer that mixes positions' inputs, so that a convolution reads zeros
    past a text's end whatever else is in its batch: a text gets the same tags alone as padded
    next to a longer one (as ``padding="same"`` reads zeros past the end of the longest)."""

    def call(self, x, chars):
        return x * ops.expand_dims(ops.cast(ops.not_equal(chars, 0), x.dtype), -1)

    def compute_output_shape(self, x_shape, chars_shape=None):
        return x_shape
