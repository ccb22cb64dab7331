"""Report section on the cloze reader (CMRC 2017), beside the official baselines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on

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
