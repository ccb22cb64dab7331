"""Report sections on the generators: couplets (seq2seq and tagger) and poems (the CNN+VAE)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zhpipe.report.page import Section, runs_on


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
