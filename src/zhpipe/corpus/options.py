"""The ``prepare`` section of params.yaml: shared settings and each corpus's own options."""

from __future__ import annotations

import datetime

from pydantic import Field, field_validator

from zhpipe.corpus.text import (
    CorpusError,
)
from zhpipe.params import Section, validate


class Pd1998Options(Section):
    dev_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 1998
    block_size: int = Field(default=50, ge=1)


class LcstsOptions(Section):
    min_score: int = Field(default=3, ge=1, le=5)


class XwlbOptions(Section):
    """prepare.corpora.xwlb (what each option does: :mod:`zhpipe.corpus.xwlb`)."""

    test_from: str = "2026-01-01"  # pairs from this day on (YYYY-MM-DD): test
    dev_months: int = Field(default=3, ge=1)  # the months before test_from: dev
    min_text_chars: int = Field(default=50, ge=1)
    max_text_chars: int = Field(default=1000, ge=50)
    drop_headlines: list[str] = Field(default_factory=lambda: [
        "国内联播快讯", "国际联播快讯", "联播快讯", "国际联播简讯", "国内联播简讯"])

    @field_validator("test_from")
    @classmethod
    def _day(cls, v: str) -> str:
        try:
            datetime.date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"must be a day written YYYY-MM-DD, got {v!r}") from None
        return v


class NoOptions(Section):
    pass


class PoetryOptions(Section):
    dev_fraction: float = Field(default=0.02, ge=0.0, lt=0.5)   # share of poems held out as dev
    test_fraction: float = Field(default=0.02, ge=0.0, lt=0.5)  # ... and as test
    seed: int = 618  # seed of the split (a hash of seed and poem id)


class WikiOptions(Section):
    max_articles: int | None = Field(default=None, ge=1)  # None: the whole dump
    min_chars: int = Field(default=10, ge=1)  # shorter lines (headings, stubs) are dropped


OPTIONS: dict[str, type[Section]] = {
    "pd1998": Pd1998Options, "sighan2005": NoOptions, "couplet": NoOptions,
    "cmrc2017": NoOptions, "cft": NoOptions, "ca8": NoOptions, "lcsts": LcstsOptions, "zhwiki": WikiOptions,
    "poetry": PoetryOptions, "xwlb": XwlbOptions,
}


class PrepareParams(Section):
    max_line_chars: int = Field(default=2000, ge=16)
    corpora: dict[str, dict] = Field(min_length=1)

    def options(self, corpus: str, path: str = "params.yaml") -> Section:
        if corpus not in OPTIONS:
            raise CorpusError(f"{path}: prepare.corpora.{corpus}: no preparer for '{corpus}' "
                              f"(known: {', '.join(sorted(OPTIONS))})")
        return validate(OPTIONS[corpus], self.corpora.get(corpus) or {},
                        f"prepare.corpora.{corpus}", path)
