"""The ``report`` section of params.yaml."""

from __future__ import annotations

from zhpipe.params import Section


class ReportParams(Section):
    title: str = "zhpipe report"
