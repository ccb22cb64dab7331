"""Bench: couplet training throughput and dev loss per pass, over training settings, in one run.

Trains each couplet model for one pass over the same real training pairs under each setting
(the first listed is the baseline: the ``train_couplet`` params of params.yaml) and reports
pairs/s (the whole pass, compilation included, and the pass without its first 10% of batches:
steady state), the dev loss after the pass, and the ratio to the baseline. One JSON line per
model and setting. Run it alone on the machine; it uses the current Keras backend
(``KERAS_BACKEND``).

    python bench/couplet_speed.py --pairs 60000 --models tagger seq2seq \\
        --settings base tpb4096 bf16 tpb4096+bf16
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

#: name -> overrides of the train_couplet params (``precision`` is a Keras dtype policy)
SETTINGS = {
    "base": {},
    "tpb2048": {"tokens_per_batch": 2048},
    "tpb4096": {"tokens_per_batch": 4096},
    "tpb4096_lr4e-3": {"tokens_per_batch": 4096, "learning_rate": 0.004},
    "bf16": {"precision": "mixed_bfloat16"},
    "tpb4096+bf16": {"tokens_per_batch": 4096, "precision": "mixed_bfloat16"},
}


def emit(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=60000, help="training pairs (one pass)")
    ap.add_argument("--models", nargs="+", default=["tagger", "seq2seq"])
    ap.add_argument("--settings", nargs="+", default=["base", "tpb4096", "bf16"],
                    choices=sorted(SETTINGS))
    ap.add_argument("--couplet", type=Path, default=ROOT / "data/prepared/couplet")
    args = ap.parse_args()

    import keras
    import numpy as np

    from zhpipe.backend import describe
    from zhpipe.couplet.data import CharVocab, read_pairs
    from zhpipe.couplet.params import CoupletParams
    from zhpipe.couplet.train import train_couplet
    from zhpipe.params import load_section

    base = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
    if not (args.couplet / "train.tsv").exists():
        print(f"{args.couplet}/train.tsv missing: run the pipeline first", file=sys.stderr)
        return 2
    pairs, _ = read_pairs(args.couplet / "train.tsv")
    order = np.random.default_rng(base.seed).permutation(len(pairs))
    dev = [pairs[i] for i in order[: base.dev_pairs]]
    train = [pairs[i] for i in order[base.dev_pairs:]][: args.pairs]
    vocab = CharVocab.build((line for pair in train for line in pair), base.min_count)
    where = describe()
    for kind in args.models:
        baseline = None
        for name in args.settings:
            over = dict(SETTINGS[name])
            policy = over.pop("precision", "float32")
            keras.config.set_dtype_policy(policy)
            p = base.model_copy(update=over)
            t0 = time.perf_counter()
            _, info = train_couplet(
                kind, train, dev, vocab, dim=p.dim, dilations=p.dilations, dropout=p.dropout,
                heads=p.heads, tokens_per_batch=p.tokens_per_batch,
                learning_rate=p.learning_rate, epochs=1, patience=1, seed=p.seed)
            wall = time.perf_counter() - t0
            keras.config.set_dtype_policy("float32")
            row = {"bench": "couplet_speed", "model": kind, "setting": name, **where,
                   "precision": policy, "tokens_per_batch": p.tokens_per_batch,
                   "learning_rate": p.learning_rate, "train_pairs": len(train),
                   "pairs_per_sec": info["train_pairs_per_sec"],
                   "pairs_per_sec_steady": info.get("steady_pairs_per_sec"),
                   "batch_shapes": info.get("batch_shapes"),
                   "dev_loss": info["history"][-1]["dev_loss"], "wall_s": round(wall, 1)}
            if baseline is None:
                baseline = row
            row["speedup"] = round(row["pairs_per_sec"] / baseline["pairs_per_sec"], 2)
            row["dev_loss_vs_base"] = round(row["dev_loss"] - baseline["dev_loss"], 4)
            emit(**row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
