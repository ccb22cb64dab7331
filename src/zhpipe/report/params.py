"""The ``report`` section of params.yaml."""

from __future__ import annotations

from pydantic import Field

from zhpipe.params import Section


class ReportParams(Section):
    title: str = "zhpipe report"
    couplet_examples: int = Field(default=20, ge=0)
