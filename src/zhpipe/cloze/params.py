"""The ``cloze_items``, ``cloze_vectors`` and ``train_cloze`` sections of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhpipe.params import Section


class ItemsParams(Section):
    """``cloze_items``: training items generated (and the official ones, when downloaded)."""

    train_source: Literal["generated", "cmrc2017", "both"] = "generated"
    corpora: list[str] = Field(default_factory=list)
    raw_text_parts: list[str] = Field(default_factory=lambda: ["xwlb"])
    raw_text_items: int | None = Field(default=5000, ge=0)
    passage_sentences: int = Field(default=13, ge=2)
    passage_stride: int | None = Field(default=10, ge=1)
    items_per_passage: int = Field(default=8, ge=1)
    answer_tags: list[str] = Field(default_factory=lambda: ["n", "nr", "ns", "nt", "nz"])
    min_answer_chars: int = Field(default=1, ge=1)
    skip_top_words: int = Field(default=300, ge=0)
    exclude_non_answers: bool = True
    cft: list[Literal["items", "generated"]] = Field(default_factory=lambda: ["items", "generated"])
    cft_items_per_story: int = Field(default=12, ge=1)
    dev_source: Literal["cft", "generated"] = "cft"
    dev_items: int = Field(default=500, ge=1)
    max_train_items: int | None = Field(default=None, ge=1)
    seed: int = 1


class VectorsParams(Section):
    """``cloze_vectors``: the word vectors the reader starts from."""

    source: Literal["own", "word2vec", "none"] = "own"
    from_passages: bool = False
    dim: int = Field(default=100, ge=8)
    min_count: int = Field(default=3, ge=1)
    epochs: int = Field(default=5, ge=1)
    seed: int = 1


class ReaderParams(Section):
    """``train_cloze``: the reader."""

    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    min_count: int = Field(default=3, ge=1)
    max_vocab: int = Field(default=50000, ge=100)
    oov_slots: int = Field(default=50, ge=1)
    freeze_embeddings: bool = True
    encoder: Literal["cnn", "gru", "lstm2"] = "cnn"
    dim: int = Field(default=128, ge=8)
    units: int = Field(default=64, ge=8)
    gated_attention: int = Field(default=0, ge=0, le=4)
    dilations: list[int] = Field(default_factory=lambda: [1, 2, 4, 1])
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_doc: int = Field(default=400, ge=32)
    tokens_per_batch: int = Field(default=8192, ge=256)
    learning_rate: float = Field(default=0.004, gt=0)
    lr_decay: Literal["none", "cosine"] = "cosine"
    epochs: int = Field(default=1, ge=1)
    story_epochs: int = Field(default=2, ge=0)
    ensemble: int = Field(default=1, ge=1)
    story_learning_rate: float = Field(default=0.001, gt=0)
    patience: int = Field(default=1, ge=1)
    seed: int = 1
