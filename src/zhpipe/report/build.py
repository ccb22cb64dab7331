"""Build ``reports/index.html`` and ``reports/README.md`` from ``reports/metrics/**.json``.

Each section is a function of the loaded metrics that returns a title, a short text, tables
(pandas DataFrames, each number beside the anchor it is compared with) and plots. Later stages
add their sections to ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zhpipe.fsutil import write_text
from zhpipe.report.cloze import section_cloze
from zhpipe.report.corpora import section_corpora, section_datasets
from zhpipe.report.embeddings import section_word2vec
from zhpipe.report.generation import section_poems, section_seq2seq
from zhpipe.report.headlines import section_headlines
from zhpipe.report.own import section_own_corpora
from zhpipe.report.page import Section, load_metrics, render
from zhpipe.report.profiles import FULL_KEY, read_full, section_profiles
from zhpipe.report.segmentation import section_crf, section_mine_words

SECTIONS: list[Callable[[dict[str, dict], Path], Section | None]] = [
    section_profiles, section_datasets, section_corpora, section_mine_words, section_word2vec, section_crf,
    section_seq2seq, section_headlines, section_cloze, section_poems, section_own_corpora,
]


def build_report(metrics_dir: str | Path, out_dir: str | Path, title: str,
                 couplet_examples: int = 20, full_results: str | Path | None = None) -> dict:
    """Write the report; ``couplet_examples``: how many of the recorded test couplets to show;
    ``full_results``: the full-profile bench lines shown beside the quick run's figures."""
    out_dir = Path(out_dir)
    metrics = load_metrics(metrics_dir)
    metrics.pop("report", None)
    metrics[FULL_KEY] = read_full(full_results)
    if "examples" in metrics.get("train_couplet", {}):
        metrics["train_couplet"]["examples"] = \
            metrics["train_couplet"]["examples"][:couplet_examples]
    sections = [s for f in SECTIONS if (s := f(metrics, out_dir)) is not None]
    page, md = render(sections, title)
    write_text(out_dir / "index.html", page)
    write_text(out_dir / "README.md", md)
    anchors = next((df for s in sections for c, df in s.tables if c.startswith("Sizes")), None)
    return {"sections": len(sections), "stages_reported": len(metrics),
            "full_profile_stages": len(metrics[FULL_KEY]),
            "anchors_checked": 0 if anchors is None else len(anchors),
            "anchors_matching": 0 if anchors is None else int((anchors["match"] == "yes").sum())}
