"""The ``word2vec`` and ``eval_word2vec`` sections of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhpipe.params import Section


class Word2VecParams(Section):
    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"  # zhpipe.backend
    engine: Literal["auto", "keras", "gensim"] = "auto"
    input: Literal["mined", "gold"] = "mined"
    extra_corpora: bool = True
    user_files: list[str] = Field(default_factory=list)
    mode: Literal["skipgram", "cbow"] = "skipgram"
    dim: int = Field(default=100, ge=2, le=2048)
    window: int = Field(default=5, ge=1, le=50)
    negative: int = Field(default=5, ge=1, le=64)
    sample: float = Field(default=1e-3, ge=0.0)
    min_count: int = Field(default=5, ge=1)
    epochs: int = Field(default=5, ge=1)
    alpha: float = Field(default=0.025, gt=0)
    min_alpha: float = Field(default=0.0001, ge=0)
    seed: int = 1
    workers: int = Field(default=1, ge=1)
    batch_size: int = Field(default=4096, ge=1)
    shared_negatives: int = Field(default=64, ge=1)
    steps_per_execution: int = Field(default=32, ge=1)
    char_vectors: bool = True



class EvalWord2VecParams(Section):
    """``eval_word2vec``: what the report shows of the vectors besides the CA8 analogies."""

    probe_words: list[str]
    projection_groups: dict[str, list[str]]
    neighbours: int = Field(default=8, ge=1)
