"""The ``train_couplet`` section of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhpipe.params import Section


class CoupletParams(Section):
    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    models: list[Literal["tagger", "seq2seq", "transformer"]] = Field(
        default_factory=lambda: ["tagger", "seq2seq", "transformer"], min_length=1)
    max_train_pairs: int | None = Field(default=60000, ge=1)
    dev_pairs: int = Field(default=2000, ge=1)
    test_pairs: int | None = Field(default=None, ge=1)
    min_count: int = Field(default=2, ge=1)
    dim: int = Field(default=128, ge=8)
    dilations: list[int] = Field(default_factory=lambda: [1, 2, 4, 1])
    heads: int = Field(default=4, ge=1)
    layers: int = Field(default=2, ge=1)            # Transformer: encoder and decoder blocks
    label_smoothing: float = Field(default=0.1, ge=0.0, lt=1.0)  # Transformer's training loss
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    tokens_per_batch: int = Field(default=1024, ge=16)
    learning_rate: float = Field(default=0.002, gt=0)
    epochs: int = Field(default=1, ge=1)
    patience: int = Field(default=1, ge=1)
    beam: int = Field(default=5, ge=1)
    form_weight: float = Field(default=2.0, ge=0.0)  # beam candidates reranked by log p + w * form
    distinct: bool = True
    no_copy: bool = True
    max_len: int = Field(default=64, ge=4)
    seed: int = 1
