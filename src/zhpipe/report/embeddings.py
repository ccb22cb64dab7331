"""Report section on the word vectors (CA8 analogies, neighbours, throughput)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on


def section_word2vec(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("word2vec")
    if m is None:
        return None
    m = {**m, **metrics.get("eval_word2vec", {})}
    ca8 = m.get("ca8", {})
    rows = []
    for name in ("morphological", "semantic"):
        if name in ca8:
            r = ca8[name]
            rows.append({"CA8 set": name, "questions": r["questions"], "covered": r["covered"],
                         "coverage": round(r["coverage"], 4),
                         "accuracy 3CosAdd": round(r["accuracy"], 4),
                         "accuracy 3CosMul": round(r["accuracy_mul"], 4),
                         "malformed lines": r["malformed_lines"]})
    corpus = m.get("corpus", {})
    extra = (", plus LCSTS and CMRC passages segmented by the mined lexicon"
             if corpus.get("extra_sentences") else "")
    text = (f"Engine {m['engine']} ({runs_on(m)}), {m['vocabulary']:,} words from "
            f"{m['tokens']:,} tokens ("
            + ("the raw-text corpus (raw_text stage) as the mined lexicon segments it"
               if corpus.get("input") == "mined" else
               f"{corpus.get('input', '?')} segmentation of the 1998 text")
            + f"{extra}); "
            f"{m['words_per_sec']:,} effective words/s. Accuracy is over the covered questions; "
            "anchor (issue 4): gensim skip-gram on the 1998 corpus alone reaches 2.5% / 4.6% "
            "with 6.6% / 20.5% coverage.")
    sec = Section("Word vectors (word2vec)", text)
    if rows:
        sec.tables.append(("CA8 analogies", pd.DataFrame(rows)))
    if m.get("neighbours"):
        sec.tables.append(("Nearest neighbours of the probe words", pd.DataFrame(
            [{"word": w, "neighbours": "  ".join(ns) or "(not in the vocabulary)"}
             for w, ns in m["neighbours"].items()])))
    plot = out / "plots" / "word2vec_projection.png"
    if plot.exists():
        sec.plots.append(("Word groups, first two principal components",
                          plot.relative_to(out).as_posix()))
        labels = m.get("projection", {}).get("labels")
        if labels:
            sec.tables.append(("Projection labels", pd.DataFrame(
                [{"label": k, "word": v} for k, v in labels.items()])))
    return sec
