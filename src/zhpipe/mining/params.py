"""The ``count_ngrams`` and ``mine_words`` sections of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from zhpipe.params import Section


class MiningParams(Section):
    max_order: int = Field(default=4, ge=2, le=6)
    min_count: int = Field(default=3, ge=1)
    min_cohesion: list[float] = Field(default_factory=lambda: [2.3, 4.6, 6.9])
    min_word_count: int = Field(default=5, ge=1)
    max_word_len: int = Field(default=6, ge=2, le=16)
    min_boundary_entropy: float = Field(default=0.0, ge=0.0)
    prune_threshold: float = 2.0
    em_iterations: int = Field(default=1, ge=0, le=20)
    em: Literal["viterbi", "soft"] = "viterbi"
    # nVBE autonomy refinement (zhpipe.mining.nvbe.refine); autonomy_weight 0 turns it off
    autonomy_weight: float = Field(default=1.5, ge=0.0)
    autonomy_min_count: int = Field(default=2, ge=1)
    autonomy_floor: float = Field(default=2.0, gt=0.0)
    autonomy_ngram_share: float = Field(default=0.5, ge=0.0, le=1.0)
    autonomy_rounds: int = Field(default=2, ge=1, le=20)
    autonomy_min_word_count: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _orders(self) -> MiningParams:
        if len(self.min_cohesion) != self.max_order - 1:
            raise ValueError(f"min_cohesion needs one threshold per order 2..{self.max_order} "
                             f"({self.max_order - 1} values), got {len(self.min_cohesion)}")
        return self

    def threshold(self, order: int) -> float:
        return self.min_cohesion[order - 2]


class CountParams(Section):
    shards: list[int] = Field(min_length=1)
    max_order: int = Field(default=5, ge=2, le=7)
    max_line_chars: int = Field(default=10_000, ge=100)
    batch_chars: int = Field(default=4_000_000, ge=1000)


class MineWordsParams(MiningParams):
    batch_chars: int = Field(default=4_000_000, ge=1000)
    curve_thresholds: list[float] = Field(default_factory=lambda: [0.0, 1.0, 2.0, 3.0, 4.0])
    top_new_words: int = Field(default=50, ge=0)
