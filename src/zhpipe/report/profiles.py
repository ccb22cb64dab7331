"""Report section: the quick profile (this run's metrics) beside the full profile (the learning
stages run on the full text with the full profile's params: ``bench/full_text.py``, its last
line per stage in ``bench/results/full_text.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section

FULL_KEY = "_full_profile"


def read_full(path: str | Path | None) -> dict[str, dict]:
    """The last bench line of each stage in ``path`` (missing or empty: none)."""
    out: dict[str, dict] = {}
    if path is None or not Path(path).is_file():
        return out
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["stage"]] = row
    return out


def _get(d: dict | None, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _pct(x):
    return None if x is None else round(100 * x, 2)


def _show(x) -> str:
    """One cell: thousands separators for counts, as measured for the rest, '-' for none."""
    if x is None:
        return "-"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def section_profiles(metrics: dict[str, dict], out: Path) -> Section | None:
    full = metrics.get(FULL_KEY) or {}
    if not full:
        return None
    fm = {stage: row.get("metrics", {}) for stage, row in full.items()}
    q = metrics
    ca8_q, ca8_f = _get(q, "eval_word2vec", "ca8"), _get(fm, "eval_word2vec", "ca8")
    rows = [
        ("raw text, characters", _get(q, "raw_text", "characters"),
         _get(fm, "raw_text", "characters")),
        ("mining corpus, characters", _get(q, "raw_text", "mining", "characters"),
         _get(fm, "raw_text", "mining", "characters")),
        ("mining: PKU F1", _get(q, "mine_words", "pku", "f1"), _get(fm, "mine_words", "pku")),
        ("mining: MSR F1", _get(q, "mine_words", "msr", "f1"), _get(fm, "mine_words", "msr")),
        ("mining: 1998 dev F1", _get(q, "mine_words", "dev", "f1"),
         _get(fm, "mine_words", "dev", "f1")),
        ("mine_words stage, seconds", _get(q, "mine_words", "stage_seconds"),
         _get(fm, "mine_words", "stage_seconds")),
        ("Word2Vec: vocabulary", _get(q, "word2vec", "vocabulary"),
         _get(fm, "word2vec", "vocabulary")),
        ("Word2Vec: tokens", _get(q, "word2vec", "tokens"), _get(fm, "word2vec", "tokens")),
        ("Word2Vec: engine", _get(q, "word2vec", "engine"), _get(fm, "word2vec", "engine")),
        ("CA8 coverage, %", _pct(_get(ca8_q, "coverage")), _pct(_get(ca8_f, "coverage"))),
        ("CA8 morphological accuracy (covered), %",
         _pct(_get(ca8_q, "morphological", "accuracy")),
         _pct(_get(ca8_f, "morphological", "accuracy"))),
        ("CA8 semantic accuracy (covered), %", _pct(_get(ca8_q, "semantic", "accuracy")),
         _pct(_get(ca8_f, "semantic", "accuracy"))),
        ("cloze training items", _get(q, "cloze_items", "train_items"),
         _get(fm, "cloze_items", "train_items")),
        ("cloze vectors: validation answers covered, %",
         _get(q, "cloze_vectors", "valid_answers_covered"),
         _get(fm, "cloze_vectors", "valid_answers_covered")),
        ("cloze reader: CMRC 2017 validation accuracy",
         _get(q, "train_cloze", "cmrc2017", "valid", "accuracy"),
         _get(fm, "train_cloze", "cmrc2017", "valid", "accuracy")),
    ]
    table = pd.DataFrame([{"figure": name, "quick (this run)": _show(a), "full": _show(b)}
                          for name, a, b in rows if a is not None or b is not None])
    stages = pd.DataFrame([{"stage": s, "wall seconds": r.get("wall_seconds"),
                            "date": r.get("date"), "commit": r.get("commit"),
                            "notes": "; ".join(x for x in (
                                f"reader: {r['reader']} settings" if r.get("reader") else "",
                                f"engine: {r['w2v_engine']}" if r.get("w2v_engine") else "")
                                if x), "command": r.get("command")}
                           for s, r in full.items()])
    text = ("The quick profile is this pipeline run. The full profile's learning stages were run "
            "on the full raw text (the 1998 text and all the Xinwen Lianbo news before the "
            "headline dev months) with the full profile's params by bench/full_text.py, on a "
            "2-core CPU with the TensorFlow backend; the table reads their last recorded run "
            "(bench/results/full_text.jsonl). Neither reads CMRC validation text.")
    return Section("Quick and full profile", text, [("Side by side", table),
                                                     ("The full-profile runs", stages)])
