"""Report sections on word segmentation: the mined lexicon (unsupervised) and the CRF
taggers (segmenter, names), each beside its published anchors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on

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
