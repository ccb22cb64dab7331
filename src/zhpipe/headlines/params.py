"""The ``train_title`` section of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhpipe.params import Section


class TitleParams(Section):
    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    max_train_pairs: int | None = Field(default=20000, ge=1)  # the latest ones; None: all
    max_text_chars: int = Field(default=128, ge=8)    # the model reads this much of a text
    max_title_chars: int = Field(default=40, ge=4)    # longer training headlines are dropped
    min_count: int = Field(default=2, ge=1)           # characters rarer in training: <unk>
    max_vocab: int = Field(default=6000, ge=16)
    arch: Literal["lstm", "transformer"] = "lstm"  # Su's LSTM seq2seq, or a Transformer
    dim: int = Field(default=128, ge=8)
    enc_layers: int = Field(default=1, ge=1)
    dec_layers: int = Field(default=1, ge=1)
    heads: int = Field(default=4, ge=1)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    copy_prior: bool = False                          # Su's prior over the text's characters
    batch_size: int = Field(default=64, ge=1)
    learning_rate: float = Field(default=0.002, gt=0)
    epochs: int = Field(default=2, ge=1)
    patience: int = Field(default=1, ge=1)
    max_minutes: float | None = Field(default=None, gt=0)  # start no pass past this
    beam: int = Field(default=5, ge=1)
    length_penalty: float = Field(default=1.0, ge=0.0)  # beams ranked by score / length**this
    no_repeat_ngram: int = Field(default=2, ge=0)  # no n-gram written twice (0: off)
    lead_chars: int = Field(default=23, ge=1)         # the first-N-characters baseline's N
    retrieval_chars: int = Field(default=300, ge=10)  # text the retrieval baseline compares
    seed: int = 1
