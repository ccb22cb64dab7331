"""The first ``T`` rows of a sequence, ``T`` being another sequence's length."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class AlignTo(keras.layers.Layer):
    """``(states (B, S, D), ids (B, T))`` -> ``states[:, :T]`` (``T <= S``): the input state
    aligned with each output position, for outputs that answer their input position by position
    (a couplet's lower line, decoded one prefix at a time)."""

    def call(self, states, ids):
        t = ops.shape(ids)[1]
        shape = ops.shape(states)
        return ops.slice(states, (0, 0, 0), (shape[0], t, shape[2]))

    def compute_output_shape(self, states_shape, ids_shape):
        return (states_shape[0], ids_shape[1], states_shape[2])
