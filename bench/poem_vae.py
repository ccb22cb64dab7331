"""Bench: variants of the poem VAE on the pipeline's Tang couplets, scored like the stage.

Runs the train_poem stage's work for one form (params.yaml's ``train_poem``, ``--set``
overrides any key) on data/prepared/poetry and prints one JSON line: the rules-of-the-form
scores of the VAE, the bigram sampler and training lines, held-out reconstruction / KL / active
units, the training curve, ten samples, backend and device.

    python bench/poem_vae.py --name quick --chars 5
    python bench/poem_vae.py --name full --chars 5 --set epochs=100 --set patience=3 \\
        --set max_minutes=null --record          # the full profile's settings

``--record`` appends the line to bench/results/poem_vae.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="what the variant is (recorded)")
    ap.add_argument("--chars", type=int, choices=[5, 7], default=5)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a train_poem param, e.g. --set free_bits=0.25")
    ap.add_argument("--poetry", type=Path, default=ROOT / "data/prepared/poetry")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    if not (args.poetry / f"couplets{args.chars}.train.txt").exists():
        print(f"{args.poetry}: no couplets; run the pipeline first (snakemake --cores all "
              "data/prepared/poetry)", file=sys.stderr)
        return 2
    from zhpipe.overrides import parse_overrides

    over = parse_overrides(args.set, "train_poem")

    from zhpipe import backend
    from zhpipe.params import load_section
    from zhpipe.poem.params import PoemParams

    base = load_section("train_poem", PoemParams, ROOT / "params.yaml")
    p = PoemParams.model_validate({**base.model_dump(), **over})
    backend.select(p.backend, "train_poem.backend")
    from zhpipe.poem.experiment import run_form

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        r = run_form(p, args.chars, args.poetry, Path(tmp))
    row = {"bench": "poem_vae", "name": args.name, "chars": args.chars, "set": over,
           **backend.describe(), "seconds": round(time.perf_counter() - t0, 1),
           "couplets": r["couplets"],
           "scores": {k: {m: v for m, v in s.items() if m != "test_kl_per_dim"}
                      for k, s in r["scores"].items()},
           "test_unigram_nll_nats": r["test_unigram_nll_nats"], "targets": r["targets"],
           "history": r["train"]["history"], "samples": r["samples"]["vae"][:10]}
    line = json.dumps(row, ensure_ascii=False)
    print(line)
    if args.record:
        out = ROOT / "bench/results/poem_vae.jsonl"
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
