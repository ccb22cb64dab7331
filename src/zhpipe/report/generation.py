"""Report sections on the generators: couplets (seq2seq and tagger) and poems (the CNN+VAE)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on

_COUPLET_MODELS = {"transformer": "Transformer (aligned, tied embeddings)",
                   "seq2seq": "attention seq2seq (GRU)", "tagger": "CNN tagger (Su)"}
_COUPLET_FLOORS = {"nearest": "floor: nearest training upper line's answer",
                   "memorise": "floor: memorised training line, else lookup",
                   "lookup": "floor: character lookup table"}
_FORM = {"form": "form score", "form_tone_end": "tone at the end",
         "form_tone_even": "tones opposed", "form_boundaries": "word boundaries",
         "form_pos": "parts of speech", "form_repetition": "repetition",
         "form_length_punct": "length and punctuation"}


def _couplet_rows(m: dict, part: str | None) -> list[dict]:
    """One row per model, floor and the human lines, on the whole test set or one part."""
    def pick(r: dict) -> dict:
        r = r.get(part, {}) if part else r
        return {"pairs": r.get("pairs"), "BLEU-4": r.get("bleu"), "BLEU-2": r.get("bleu_2"),
                "BLEU-1": r.get("bleu_1"), "sentence BLEU-4": r.get("sentence_bleu_4"),
                **{label: r.get(key) for key, label in _FORM.items()}}

    rows = []
    for k, name in _COUPLET_MODELS.items():
        if k in m:
            how = ("greedy" if m[k]["decode_beam"] == 1 else f"beam {m[k]['decode_beam']}"
                   + (f", form weight {m[k]['form_weight']}" if m[k].get("form_weight") else ""))
            rows.append({"system": name + (" (best dev loss)" if m.get("best") == k else ""),
                         "decoding": how, **pick(m[k])})
    rows += [{"system": _COUPLET_FLOORS[k], "decoding": "-", **pick(r)}
             for k, r in m.get("floors", {}).items() if k in _COUPLET_FLOORS]
    if m.get("reference"):
        ref = pick(m["reference"])
        rows.append({"system": "human reference lines (the level to reach)", "decoding": "-",
                     **{k: v for k, v in ref.items() if "BLEU" not in k}})
    return rows


def section_seq2seq(metrics: dict[str, dict], out: Path) -> Section | None:
    m = metrics.get("train_couplet")
    if m is None:
        return None
    parts = m.get("parts", {})
    text = (f"Models trained on {m['train_pairs']:,} training pairs (dev slice "
            f"{m['dev_pairs']:,}, vocabulary {m['vocab']:,} characters), scored on "
            f"{m['test_pairs']:,} test pairs and on its two parts: upper lines that also occur "
            f"in the training file (seen: {parts.get('seen', '?'):,}) and the others (novel: "
            f"{parts.get('novel', '?'):,}). Corpus BLEU over characters (sacrebleu) and the mean "
            "sentence BLEU-4 (nltk, smoothing method 2). The floors are computed by the stage "
            f"from every training pair ({m.get('floor_pairs', 0):,}; zhpipe.couplet.baselines). "
            "The form score (zhpipe.couplet.form, % per property, and their mean) judges a lower "
            "line as a reader would: tones opposed (pypinyin, modern tones: entering-tone "
            "characters count as level), the upper line ending oblique and the lower level, word "
            "boundaries and parts of speech that pair (jieba), repetition mirrored; the human "
            "reference lines set the level. Decoding constraints fix the length, punctuation "
            f"and repetition pattern. Trained with Keras: {runs_on(m)}.")
    sec = Section("Couplets (Transformer, seq2seq and CNN tagger)", text)
    sec.tables.append(("Test set, all pairs", pd.DataFrame(_couplet_rows(m, None))))
    for part in ("novel", "seen"):
        if part in parts:
            sec.tables.append((f"Test set, {part} upper lines", pd.DataFrame(
                _couplet_rows(m, part))))
    names = {k: v for k, v in _COUPLET_MODELS.items() if k in m}
    speed = [{"model": names[k], "dev loss (nats a character)": m[k]["best_dev_loss"],
              "train pairs/s": m[k]["train_pairs_per_sec"],
              "ms per couplet (one at a time)": m[k]["latency_ms_beam"],
              "params": m[k].get("params")} for k in names]
    sec.tables.append(("Training and decoding", pd.DataFrame(speed)))
    if m.get("examples"):
        sec.tables.append(("Examples (the first test pairs)", pd.DataFrame(
            [{"上联": e["upper"], "reference 下联": e["reference"],
              **{names[k]: e[k] for k in names if k in e}} for e in m["examples"]])))
    hist = [{"model": names[k], **h} for k in names for h in m.get(k, {}).get("history", [])]
    if hist:
        sec.tables.append(("Training curve (loss per epoch)", pd.DataFrame(hist)))
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
            "distinct_2": "distinct-2", "lines_repeating": "lines repeating a character",
            "form": "couplet form score", "novel_lines": "novel lines",
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
        if f.get("decoding_steps"):
            sec.tables.append((f"{chars}-character couplets: what each decoding step buys "
                               "(same latent vectors)", pd.DataFrame(
                                   [{"decoding": name, **{label: r.get(key)
                                                          for key, label in keys.items()}}
                                    for name, r in f["decoding_steps"].items()])))
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
