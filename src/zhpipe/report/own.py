"""Report section on the user's own corpora (field terms, kept-whole shares, vectors)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section


def section_own_corpora(metrics: dict[str, dict], out: Path) -> Section | None:
    """Each of the user's own corpora (catalogue.yaml ``local``): its terms, their neighbours,
    sample sentences segmented before and after, and how often each segmenter keeps them whole."""
    names = sorted(k.split("/", 1)[1] for k in metrics if k.startswith("own_corpus/"))
    if not names:
        return None
    sec = Section("Your own corpora", "Each corpus of catalogue.yaml <code>local</code>, mined on "
                  "its own and contrasted with the general corpus (the 1998 news): a term occurs "
                  "much more often, relatively, in the field's text (log ratio of the smoothed "
                  "relative frequencies; <i>new</i>: not in the pipeline's lexicon). <i>Kept "
                  "whole</i>: the share of the top terms' occurrences in the field's text that a "
                  "segmenter writes as one word (no gold segmentation: the terms themselves are "
                  "mined). Files: data/own/&lt;name&gt;/ (terms.tsv, field_lexicon.tsv, "
                  "field_words.txt, vectors.npz).")
    labels = {"general_lexicon": "mined lexicon (general)", "field_lexicon": "+ field terms",
              "crf": "CRF segmenter", "crf_field_flags": "CRF + field terms as flags"}
    for name in names:
        m = metrics[f"own_corpus/{name}"]
        ing = metrics.get(f"ingest/{name}", {})
        c = m["corpus"]
        sec.tables.append((f"{name}: corpus and terms", pd.DataFrame([{
            "files": ing.get("files"), "lines": c["lines"], "characters": c["characters"],
            "general characters": c["general_characters"], "lexicon words": m["lexicon"]["words"],
            "terms": m["terms"]["count"], "new terms": m["terms"]["new"],
            "seconds": m.get("seconds")}])))
        sec.tables.append((f"{name}: top terms", pd.DataFrame([
            {"term": t["word"], "field count": t["field_count"],
             "general count": t["general_count"], "log ratio": t["log_ratio"],
             "lexicon": "in" if t["in_general_lexicon"] else "new"}
            for t in m["terms"]["top"]])))
        kw = m["kept_whole"]
        sec.tables.append((f"{name}: top {kw['terms_checked']} terms kept whole "
                           f"({kw['occurrences']:,} occurrences in {kw['lines']:,} lines), %",
                           pd.DataFrame([{labels.get(k, k): v for k, v in kw.items()
                                          if k in labels}])))
        near = m["vectors"]["neighbours"]
        if near:
            sec.tables.append((f"{name}: nearest words (vectors on the field's text + the "
                               "general corpus)", pd.DataFrame([
                                   {"term": q, "nearest": ", ".join(f"{w} ({s:.2f})"
                                                                    for w, s in ns)}
                                   for q, ns in near.items()])))
        if m["samples"]:
            sec.tables.append((f"{name}: sample sentences", pd.DataFrame([
                {"segmenter": labels.get(k, k), "segmentation": v}
                for sample in m["samples"] for k, v in sample.items()])))
    return sec
