"""Report section on the headline model: ROUGE beside the lead and retrieval baselines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on

NAMES = {"model": "this model (train_title)",
         "retrieval": "retrieval: headline of the most similar training text (TF-IDF)",
         "first_sentence": "lead: first sentence", "first_clause": "lead: first clause"}


def _name(key: str) -> str:
    if key.startswith("first_") and key.endswith("_chars"):
        return f"lead: first {key.split('_')[1]} characters"
    return NAMES.get(key, key)


def _order(key: str) -> tuple[int, str]:
    first = ["model", "retrieval", "first_sentence"]
    return (first.index(key), key) if key in first else (len(first), key)


def _table(r: dict) -> pd.DataFrame:
    copied = r.get("copied_from_train", {})
    return pd.DataFrame([{"system": _name(k), "ROUGE-1": s["rouge1"], "ROUGE-2": s["rouge2"],
                          "ROUGE-L": s["rougeL"],
                          "copied verbatim from training (%)":
                              f"{copied[k]:g}" if k in copied else ""}
                         for k, s in sorted(r["rouge"].items(), key=lambda kv: _order(kv[0]))])


def section_headlines(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("train_title")
    if m is None:
        return None
    t = m["test"]
    tr = m["train"]
    k = m.get("model", {})
    if k.get("arch") == "transformer":
        what = (f"A Transformer encoder-decoder ({k['enc_layers']}+{k['dec_layers']} layers, "
                f"width {k['dim']}")
    else:
        what = (f"Su's seq2seq ({k.get('enc_layers', '?')} bidirectional LSTM encoder and "
                f"{k.get('dec_layers', '?')} LSTM decoder layers, width {k.get('dim', '?')}, "
                "attention")
    what += (", his copy prior)" if k.get("copy_prior") else ", no copy prior)") if k else ")"
    decoding = (f"beam {t['beam']}, length penalty {k.get('length_penalty')}, no repeated "
                f"{k.get('no_repeat_ngram')}-gram" if k else f"beam {t['beam']}")
    text = (f"{what}, reading the first {k.get('max_text_chars', '?')} characters of a text. "
            f"Trained on {m['train_pairs']:,} Xinwen Lianbo pairs from before the dev months "
            f"(dev {m['dev_pairs']:,} pairs, the months before the test year; vocabulary "
            f"{m['vocab']:,} characters), {len(tr['history'])} passes, "
            f"{tr['train_text_chars_per_sec']:,} text characters/s. Scored on {t['pairs']:,} "
            f"test pairs (the test year, {t['truncated_texts']:,} texts cut to what the model "
            f"reads): character ROUGE F1 (rouge-score, a character tokenizer), x100; every "
            f"baseline computed by the stage on the same pairs. Decoding: {decoding}, "
            f"{t['decode_ms_per_headline']} ms a headline, batched. Dev ROUGE-L "
            f"{m['dev']['rouge']['rougeL']}. Trained with Keras: {runs_on(m)}. The data is "
            "the broadcaster's, for study only.")
    sec = Section("News headlines (seq2seq titles)", text)
    sec.tables.append(("Xinwen Lianbo test year", _table(t)))
    if "lcsts_part3" in m:
        sec.tables.append(("LCSTS PART III (another domain; no LCSTS training)",
                           _table(m["lcsts_part3"])))
    if m.get("examples"):
        sec.tables.append(("Examples (test pairs spread over the year)", pd.DataFrame(
            [{"text (start)": e["text"][:40], "model": e["model"], "reference": e["reference"],
              "retrieval": e["retrieval"]} for e in m["examples"]])))
    if tr.get("history"):
        sec.tables.append(("Training curve (loss per pass)", pd.DataFrame(tr["history"])))
    return sec
