"""Bench: couplet seq2seq against Su's CNN tagger, over several seeds, in one run.

Both models are trained on the same pairs with the ``train_couplet`` params of params.yaml
(overridable below) and scored on the 4,000 test pairs: BLEU-4, constraint rates, training
pairs/s and latency (ms per couplet, one at a time, beam ``--beam``). One JSON line per seed,
then a summary line with the mean and spread of each model's BLEU and the margin.

    python bench/seq2seq.py --seeds 1 2 3 [--max-train 60000] [--epochs 1] [--test 4000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def emit(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--max-train", type=int)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--test", type=int, help="test pairs (default: all)")
    ap.add_argument("--beam", type=int)
    args = ap.parse_args()

    from zhpipe.couplet.experiment import run_experiment
    from zhpipe.couplet.params import CoupletParams
    from zhpipe.params import load_section

    base = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
    update = {k: v for k, v in (("max_train_pairs", args.max_train), ("epochs", args.epochs),
                                ("test_pairs", args.test), ("beam", args.beam)) if v}
    couplet = ROOT / "data/prepared/couplet"
    if not (couplet / "train.tsv").exists():
        print(f"{couplet}/train.tsv missing: run the pipeline first", file=sys.stderr)
        return 2
    bleu = {"tagger": [], "seq2seq": []}
    for seed in args.seeds:
        p = base.model_copy(update={**update, "seed": seed})
        m = run_experiment(p, couplet)
        row = {"bench": "couplet", "seed": seed, "train_pairs": m["train_pairs"],
               "test_pairs": m["test_pairs"], "epochs": p.epochs, "dim": p.dim}
        for kind in ("tagger", "seq2seq"):
            k = m[kind]
            bleu[kind].append(k["bleu"])
            row[kind] = {x: k[x] for x in ("bleu", "length_match", "punct_alignment",
                                           "repetition_agreement", "copy_rate", "best_dev_loss",
                                           "train_pairs_per_sec", "test_pairs_per_sec",
                                           "latency_ms_beam", "decode_beam")}
        emit(**row)

    def spread(xs):
        return round(statistics.pstdev(xs), 2) if len(xs) > 1 else 0.0

    emit(bench="couplet_summary", seeds=args.seeds,
         tagger_bleu=round(statistics.mean(bleu["tagger"]), 2), tagger_sd=spread(bleu["tagger"]),
         seq2seq_bleu=round(statistics.mean(bleu["seq2seq"]), 2),
         seq2seq_sd=spread(bleu["seq2seq"]),
         margin=round(statistics.mean(bleu["seq2seq"]) - statistics.mean(bleu["tagger"]), 2),
         seq2seq_wins_every_seed=all(s > t for s, t in zip(bleu["seq2seq"], bleu["tagger"],
                                                           strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
