"""Bench: the couplet models at full scale: every training pair, several passes, the test set.

Trains the chosen models with the ``train_couplet`` params of params.yaml on all the usable
training pairs (the 2,000-pair dev slice held out for early stopping), scores them on the 4,000
test pairs beside the floors (lookup table, memorised line) computed from the same pairs, and
prints one JSON line: every BLEU variant, the constraint rates, throughput, the training curve
and 20 example couplets. Models go to ``--out`` (default data/couplet_full).

    python bench/couplet_full.py --models seq2seq --epochs 3 --patience 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["seq2seq", "tagger"],
                    choices=["seq2seq", "tagger"])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--patience", type=int, default=1)
    ap.add_argument("--max-train", type=int, help="default: every training pair")
    ap.add_argument("--couplet", type=Path, default=ROOT / "data/prepared/couplet")
    ap.add_argument("--out", type=Path, default=ROOT / "data/couplet_full")
    args = ap.parse_args()

    from zhpipe.backend import describe
    from zhpipe.couplet.experiment import run_experiment
    from zhpipe.couplet.params import CoupletParams
    from zhpipe.params import load_section

    base = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
    p = base.model_copy(update={"max_train_pairs": args.max_train, "epochs": args.epochs,
                                "patience": args.patience})
    if not (args.couplet / "train.tsv").exists():
        print(f"{args.couplet}/train.tsv missing: run the pipeline first", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    m = run_experiment(p, args.couplet, args.out, kinds=tuple(args.models))
    keep = ("bleu", "bleu_1", "bleu_2", "sentence_bleu_4", "exact_match", "length_match",
            "punct_alignment", "repetition_agreement", "copy_rate", "best_dev_loss",
            "train_pairs_per_sec", "steady_pairs_per_sec", "train_seconds", "latency_ms_beam",
            "decode_beam", "history")
    row = {"bench": "couplet_full", **describe(), "train_pairs": m["train_pairs"],
           "test_pairs": m["test_pairs"], "epochs_max": p.epochs, "patience": p.patience,
           "dim": p.dim, "tokens_per_batch": p.tokens_per_batch,
           **{k: {x: m[k].get(x) for x in keep} for k in args.models},
           "floors": {k: {x: v.get(x) for x in keep if x in v} for k, v in m["floors"].items()},
           "examples": m["examples"][:20], "wall_s": round(time.perf_counter() - t0),
           "command": "python bench/couplet_full.py " + " ".join(sys.argv[1:])}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
