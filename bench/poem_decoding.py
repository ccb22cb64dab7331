"""Bench: decoding the poem VAE: what each decoding setting does to form and diversity.

Loads the writers the train_poem stage saved (data/poem/poem5, poem7), decodes the same
``--samples`` latent vectors with each setting (Su's argmax; no character twice; sampling at
each ``--temperatures``; a legal tone pattern) and prints one JSON line per form and setting:
the stage's form metrics (tone agreement, rhyme scheme, distinct-1/2, lines repeating a
character, couplet form score), with the character bigram sampler and the training lines of the
same run beside them. Only generated text and training couplets are read: no held-out poem.

    python bench/poem_decoding.py >> bench/results/poem_decoding.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

KEEP = ("right_form", "tone_agreement", "rhyme_scheme", "distinct_1", "distinct_2",
        "lines_repeating", "novel_lines", "form", "form_tone_even", "form_boundaries",
        "form_pos")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=ROOT / "data/poem")
    ap.add_argument("--prepared", type=Path, default=ROOT / "data/prepared/poetry")
    ap.add_argument("--forms", nargs="+", type=int, default=[5, 7])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--temperatures", nargs="+", type=float, default=[0.6, 0.8, 1.0])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from zhpipe.backend import describe
    from zhpipe.poem import baselines, form
    from zhpipe.poem.experiment import read_couplets
    from zhpipe.poem.vae import PoemWriter

    for chars in args.forms:
        writer = PoemWriter.load(args.models / f"poem{chars}")
        train = read_couplets(args.prepared / f"couplets{chars}.train.txt", chars)
        known = set(train)
        lines = {x for c in train for x in form.split_couplet(c, chars)}

        def score(couplets, known=known, lines=lines, chars=chars):
            s = form.score(couplets, chars, known, lines)
            return {k: s.get(k) for k in KEEP}

        base = {"bench": "poem_decoding", **describe(), "chars": chars,
                "samples": args.samples, "seed": args.seed,
                "model_decoding": writer.decoding,
                "bigram": score(baselines.BigramSampler(train).sample(args.samples, args.seed,
                                                                      chars)),
                "training_lines": score(baselines.training_lines(train, args.samples,
                                                                 args.seed))}
        settings = [("argmax (Su)", 0.0, False, False), ("rules", 0.0, True, False)]
        for t in args.temperatures:
            settings += [(f"rules, T={t}", t, True, False),
                         (f"rules, T={t}, tone pattern", t, True, True),
                         (f"T={t} alone", t, False, False)]
        for name, t, rules, tone in settings:
            t0 = time.perf_counter()
            out = writer.generate(args.samples, seed=args.seed, temperature=t, rules=rules,
                                  tone_pattern=tone)
            ms = 1000 * (time.perf_counter() - t0) / args.samples
            print(json.dumps({**base, "setting": name, "temperature": t, "rules": rules,
                              "tone_pattern": tone, "ms_per_couplet": round(ms, 3),
                              **score(out), "examples": out[:5],
                              "command": "python bench/poem_decoding.py "
                              + " ".join(sys.argv[1:])}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
