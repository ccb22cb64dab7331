"""The attention mask that keeps queries off padded keys (id 0), for batches padded to a length."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zhpipe")
class KeyPaddingMask(keras.layers.Layer):
    """``(query (B, Tq, ...), key_ids (B, Tk))`` -> ``(B, Tq, Tk)``: 1.0 where the key is a real
    position, 0.0 where it is padding: ``MultiHeadAttention(..., attention_mask=...)``.

    Training batches are padded to a few fixed lengths (so that a run compiles a handful of
    shapes); with this mask a padded line attends exactly as the unpadded line does at
    inference."""

    def call(self, query, key_ids):
        keep = ops.cast(ops.not_equal(key_ids, 0), "float32")[:, None, :]
        shape = ops.shape(query)
        return ops.broadcast_to(keep, (shape[0], shape[1], ops.shape(key_ids)[1]))

    def compute_output_shape(self, query_shape, key_ids_shape=None):
        return (query_shape[0], query_shape[1], None if key_ids_shape is None
                else key_ids_shape[1])
