"""Residual gated dilated convolution, shared by the couplet models and the cloze reader."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class GatedConv1D(keras.layers.Layer):
    """Residual gated convolution (a highway gate): ``x * (1 - g) + h * g`` where
    ``h, g = conv(x)`` split in two and ``g = sigmoid(g)``."""

    def __init__(self, filters: int, kernel_size: int = 3, dilation_rate: int = 1,
                 dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size
        self.dilation_rate, self.dropout_rate = dilation_rate, dropout
        self.conv = keras.layers.Conv1D(2 * filters, kernel_size, dilation_rate=dilation_rate,
                                        padding="same")
        self.dropout = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.built = True

    def call(self, x, training=None):
        hg = self.conv(self.dropout(x, training=training))
        h, g = hg[..., : self.filters], ops.sigmoid(hg[..., self.filters:])
        return x * (1.0 - g) + h * g

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "dilation_rate": self.dilation_rate, "dropout": self.dropout_rate}
