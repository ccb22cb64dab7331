"""The ``train_poem`` section of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhpipe.params import Section


class PoemParams(Section):
    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    forms: list[Literal[5, 7]] = Field(default_factory=lambda: [5, 7], min_length=1)
    max_train_couplets: int | None = Field(default=50000, ge=1)  # None: every training couplet
    min_count: int = Field(default=2, ge=1)         # rarer characters are <unk>
    dim: int = Field(default=64, ge=8)              # character embedding / convolution width
    latent: int = Field(default=64, ge=2)           # latent dimensions
    encoder_convs: int = Field(default=2, ge=1)
    decoder_convs: int = Field(default=1, ge=1)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    batch_size: int = Field(default=64, ge=2)
    learning_rate: float = Field(default=0.003, gt=0)
    epochs: int = Field(default=3, ge=1)
    patience: int = Field(default=2, ge=1)
    max_minutes: float | None = Field(default=None, gt=0)  # per form; None: no time budget
    kl_warmup_steps: int = Field(default=1000, ge=0)  # KL weight 0 -> 1 over these steps
    free_bits: float = Field(default=0.5, ge=0.0)   # floor on each dimension's KL (nats)
    temperature: float = Field(default=0.6, ge=0.0)  # 0: the likeliest character per position
    rules: bool = True           # no character twice in a couplet, positions filled in turn
    tone_pattern: bool = True    # (with rules) keep a legal tone pattern at the fixed positions
    samples: int = Field(default=2000, ge=10)       # couplets generated for the form metrics
    report_samples: int = Field(default=20, ge=1)
    interpolation_steps: int = Field(default=7, ge=2)
    bigram_k: float = Field(default=0.01, gt=0)     # add-k smoothing of the bigram sampler
    seed: int = 1
