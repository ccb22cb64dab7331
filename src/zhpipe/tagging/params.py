"""The ``train_seg`` and ``train_ner`` sections of params.yaml (the CRF taggers)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from zhpipe.params import Section


class TaggerParams(Section):
    """What both taggers read: the model, its features and its training."""

    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    encoder: Literal["cnn", "bilstm"] = "cnn"
    filters: int = Field(default=128, ge=8)
    dilations: list[int] = Field(default_factory=lambda: [1, 2, 4])
    char_dim: int = Field(default=64, ge=4)
    bigram_dim: int = Field(default=32, ge=4)
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    unk_rate: float = Field(default=0.0, ge=0.0, lt=1.0)
    ema: float = Field(default=0.99, ge=0.0, lt=1.0)
    use_lexicon: bool = True
    dictionary: str = "jieba"
    dictionary_lengths: list[int] = Field(default_factory=lambda: [2, 3, 4, 5], min_length=1)
    dictionary_bands: list[float] = Field(default_factory=lambda: [10, 100])
    tokens_per_batch: int = Field(default=8192, ge=64)
    learning_rate: float = Field(default=0.002, gt=0)
    epochs: int = Field(default=4, ge=1)
    patience: int = Field(default=2, ge=1)
    max_len: int = Field(default=200, ge=16)
    max_train_sentences: int | None = Field(default=None, ge=1)
    seed: int = 1

    @field_validator("dictionary_lengths")
    @classmethod
    def _lengths(cls, v: list[int]) -> list[int]:
        if any(k < 2 or k > 16 for k in v) or len(set(v)) != len(v):
            raise ValueError("word lengths from 2 to 16, each once")
        return sorted(v)

    @field_validator("dictionary")
    @classmethod
    def _dictionary(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("'jieba', 'none' or the path of a 'word [count] [tag]' file")
        return v

    @field_validator("dictionary_bands")
    @classmethod
    def _bands(cls, v: list[float]) -> list[float]:
        if any(b <= 0 for b in v) or len(set(v)) != len(v):
            raise ValueError("positive counts, each once")
        return sorted(v)


class SegParams(TaggerParams):
    """``train_seg``: the segmenter."""

    seg_train: Literal["pd1998", "pku", "msr"] = "pd1998"
    feature_folds: int = Field(default=2, ge=2)
    fold_epochs: int = Field(default=3, ge=1)


class NerParams(TaggerParams):
    """``train_ner``: the names tagger."""

    dictionary_names: bool = True
    seg_features: bool = True
