"""Bench: reranking a couplet model's beam by the form score, the weight chosen on dev.

Loads a saved couplet model (the train_couplet stage's, or bench/couplet_full.py's), decodes the
dev pairs (the slice the params hold out of the training file; never the test set) with each
``--weights`` (beam candidates ranked by mean log-probability + weight x form score) and prints
one JSON line per weight: dev corpus and sentence BLEU, the form score and its parts, and
milliseconds a couplet one at a time (the weight-0 line is the baseline of the same run).
``--split test`` scores the test set (with its seen / novel parts) for the given weights, once
the choice is made.

    python bench/couplet_rerank.py --models data/couplet --model transformer \\
        >> bench/results/couplet_rerank.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

KEEP = ("bleu", "bleu_1", "bleu_2", "sentence_bleu_4", "form", "form_tone_end",
        "form_tone_even", "form_boundaries", "form_pos", "form_repetition", "pairs")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=ROOT / "data/couplet")
    ap.add_argument("--model", default="best")
    ap.add_argument("--couplet", type=Path, default=ROOT / "data/prepared/couplet")
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.5, 1.0, 2.0, 4.0])
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--limit", type=int, help="score only the first N pairs")
    ap.add_argument("--params", type=Path, help="train_couplet params as JSON (default: the "
                    "train_info.json beside the models, else params.yaml)")
    args = ap.parse_args()

    from zhpipe.backend import describe
    from zhpipe.couplet.experiment import split_pairs
    from zhpipe.couplet.metrics import fair_scores, reference_form
    from zhpipe.couplet.params import CoupletParams
    from zhpipe.couplet.train import Couplet, best_kind
    from zhpipe.params import load_section

    info = args.params or args.models / "train_info.json"
    if info.exists():
        p = CoupletParams.model_validate(json.loads(info.read_text(encoding="utf-8"))["params"])
    else:
        p = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
    split = split_pairs(p, args.couplet)
    kind = best_kind(args.models) if args.model == "best" else args.model
    model = Couplet.load(args.models, kind)
    pairs = split.dev if args.split == "dev" else split.test
    pairs = pairs[:args.limit] if args.limit else pairs
    uppers, refs = [u for u, _ in pairs], [r for _, r in pairs]
    seen = split.seen[:len(pairs)] if args.split == "test" else [False] * len(pairs)
    base = {"bench": "couplet_rerank", **describe(), "model": kind, "split": args.split,
            "beam": args.beam, "train_pairs": len(split.train),
            "reference_form": {k: v for k, v in reference_form(uppers, refs, seen).items()
                               if k in KEEP or k in ("seen", "novel")}}
    model.generate(uppers[:32], args.beam)  # warm up
    for w in args.weights:
        t0 = time.perf_counter()
        hyps = model.generate(uppers, args.beam, form_weight=w)
        batch_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for u in uppers[:50]:
            model.generate([u], args.beam, form_weight=w)
        latency = (time.perf_counter() - t0) / min(50, len(uppers))
        scores = fair_scores(uppers, refs, hyps, seen)
        row = {**base, "form_weight": w, **{k: scores[k] for k in KEEP},
               **{part: {k: scores[part][k] for k in KEEP} for part in ("seen", "novel")
                  if args.split == "test" and part in scores},
               "batch_ms_per_couplet": round(1000 * batch_s / len(uppers), 1),
               "latency_ms": round(1000 * latency, 1),
               "command": "python bench/couplet_rerank.py " + " ".join(sys.argv[1:])}
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
