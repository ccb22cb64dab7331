"""The train_poem stage's work: per form (five or seven characters a line), train the VAE, score
its couplets and the two baselines' by the rules of the form, and measure it on held-out poems."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zhpipe.callbacks import Callback, named
from zhpipe.corpus.text import CorpusError
from zhpipe.poem import baselines, form, vae
from zhpipe.poem.params import PoemParams

log = logging.getLogger(__name__)


def read_couplets(path: Path, chars: int) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found; run the prepare@poetry stage")
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line and form.split_couplet(line, chars) is None:
            raise CorpusError(f"{path}:{no}: not a couplet of two {chars}-character lines "
                              f"({line[:30]!r}); run prepare@poetry again")
        if line:
            out.append(line)
    if not out:
        raise CorpusError(f"{path}: no couplets")
    return out


def unigram_nll(train: list[str], test: list[str], k: float) -> float:
    """Nats per couplet of the test couplets' characters under add-k character frequencies."""
    counts = Counter(ch for c in train for ch in c if ch not in "，。")
    total = sum(counts.values()) + k * (len(counts) + 1)
    return sum(-math.log((counts.get(ch, 0) + k) / total)
               for c in test for ch in c if ch not in "，。") / max(len(test), 1)


def run_form(p: PoemParams, chars: int, prepared: Path, out: Path,
             callbacks: Sequence[Callback] = ()) -> dict:
    train_all = read_couplets(prepared / f"couplets{chars}.train.txt", chars)
    dev = read_couplets(prepared / f"couplets{chars}.dev.txt", chars)
    test = read_couplets(prepared / f"couplets{chars}.test.txt", chars)
    rng = np.random.default_rng(p.seed)
    train = train_all
    if p.max_train_couplets is not None and p.max_train_couplets < len(train_all):
        train = [train_all[i] for i in sorted(rng.choice(len(train_all), p.max_train_couplets,
                                                         replace=False))]
    log.info("poem%d: %d training couplets (of %d), %d dev, %d test", chars, len(train),
             len(train_all), len(dev), len(test))
    writer, info = vae.train(
        train, dev, chars, dim=p.dim, latent=p.latent, encoder_convs=p.encoder_convs,
        decoder_convs=p.decoder_convs, dropout=p.dropout, min_count=p.min_count,
        batch_size=p.batch_size, learning_rate=p.learning_rate, epochs=p.epochs,
        patience=p.patience, kl_warmup_steps=p.kl_warmup_steps, free_bits=p.free_bits,
        seed=p.seed, max_seconds=p.max_minutes * 60 if p.max_minutes else None,
        callbacks=named(f"forms.{chars}.train", callbacks))
    writer.decoding = {"temperature": p.temperature, "rules": p.rules,
                       "tone_pattern": p.tone_pattern}
    writer.save(out / f"poem{chars}")

    test_ids = np.stack([writer.vocab.encode(vae.strip(c, chars)) for c in test])
    heldout = vae.evaluate(writer, test_ids, p.seed)
    bigram = baselines.BigramSampler(train, k=p.bigram_k)

    known_couplets = set(train_all)  # novelty against every training couplet, not the subset
    known_lines = {x for c in train_all for x in form.split_couplet(c, chars)}
    generated = writer.generate(p.samples, seed=p.seed)  # the params' decoding
    systems = {
        "vae": generated,
        "bigram": bigram.sample(p.samples, seed=p.seed, chars=chars),
        "training_lines": baselines.training_lines(train, p.samples, seed=p.seed),
    }
    scores = {name: form.score(lines, chars, known_couplets, known_lines)
              for name, lines in systems.items()}
    # what each decoding step buys, from Su's plain argmax to the params' decoding (same z)
    steps = {"argmax (Su)": {"temperature": 0.0, "rules": False, "tone_pattern": False},
             "+ rules": {"temperature": 0.0, "rules": True, "tone_pattern": False},
             f"+ sampling at {p.temperature}": {"temperature": p.temperature, "rules": True,
                                                "tone_pattern": False},
             "+ tone pattern": {"temperature": p.temperature, "rules": True,
                                "tone_pattern": True}}
    decoding_steps = {name: form.score(writer.generate(p.samples, seed=p.seed, **kw), chars,
                                       known_couplets, known_lines)
                      for name, kw in steps.items()}
    scores["vae"].update({f"test_{k}": v for k, v in heldout.items()})
    scores["bigram"]["test_nll_chars_nats"] = round(bigram.nll_chars(test), 4)
    free = form.score(bigram.sample(p.samples, seed=p.seed), chars, known_couplets, known_lines)
    scores["bigram"]["free_running_right_form"] = free["right_form"]
    unigram = round(unigram_nll(train, test, p.bigram_k), 4)
    a, b = (test[int(i)] for i in rng.choice(len(test), 2, replace=False))
    v, bg = scores["vae"], scores["bigram"]
    return {
        "couplets": {"train": len(train), "train_available": len(train_all), "dev": len(dev),
                     "test": len(test)},
        "scores": scores,
        "test_unigram_nll_nats": unigram,
        "targets": {
            "right_form_100": v["right_form"] == 1.0,
            "tone_above_bigram": v["tone_agreement"] > bg["tone_agreement"],
            "lines_repeating_5pct": v["lines_repeating"] <= 0.05,
            "distinct_2_near_training": v["distinct_2"] >= scores["training_lines"]["distinct_2"]
            - 0.1,
            "rhyme_above_bigram": v["rhyme_rate"] > bg["rhyme_rate"],
            "rhyme_scheme_above_bigram": v["rhyme_scheme"] > bg["rhyme_scheme"],
            "novel_lines_95": v["novel_lines"] >= 0.95,
        },
        "train": info,
        "samples": {name: lines[:p.report_samples] for name, lines in systems.items()},
        "decoding_steps": decoding_steps,
        "interpolation": {"from": a, "to": b, "steps": writer.interpolate(
            a, b, p.interpolation_steps)},
    }


def run_experiment(p: PoemParams, prepared: Path, out: Path,
                   callbacks: Sequence[Callback] = ()) -> dict:
    forms = {}
    for chars in p.forms:
        forms[str(chars)] = run_form(p, chars, prepared, out, callbacks)
    how = "argmax" if p.temperature <= 0 else f"sampled at temperature {p.temperature}"
    if p.rules:
        how += ", no character twice" + (", a legal tone pattern" if p.tone_pattern else "")
    return {"forms": forms, "decoding": how}
