"""The reparameterised Gaussian sample of a variational auto-encoder, with its KL divergence."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class GaussianSample(keras.layers.Layer):
    """``[mean, log_var] -> [z, kl]``: ``z = mean + exp(log_var / 2) * eps`` while training (the
    mean otherwise), and the KL divergence from the standard normal, per latent dimension:
    ``-0.5 * (1 + log_var - mean**2 - exp(log_var))``."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        kl = -0.5 * (1.0 + log_var - ops.square(mean) - ops.exp(log_var))
        if training:
            eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
            return mean + ops.exp(0.5 * log_var) * eps, kl
        return mean, kl

    def compute_output_shape(self, input_shape):
        return input_shape[0], input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
