"""Bench: decoding a saved headline model: settings chosen on dev, and speed.

Loads a model the train_title stage (or bench/title_full.py) saved, decodes the dev pairs with
each setting (beam width, length penalty, no-repeat n-gram size) and prints one JSON line per
setting: dev ROUGE and milliseconds a headline (all texts batched, after a warm-up; the beam-1
line is the speed baseline of the same run). ``--split test`` scores the test year instead,
for the chosen setting only (the choice itself is made on dev).

    python bench/title_decoding.py --model data/title >> bench/results/title_decoding.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "data/title")
    ap.add_argument("--pairs", type=Path, default=ROOT / "data/prepared/xwlb")
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--beams", nargs="+", type=int, default=[1, 5])
    ap.add_argument("--penalties", nargs="+", type=float, default=[1.0])
    ap.add_argument("--no-repeat", nargs="+", type=int, default=[0, 3])
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    from zhpipe.backend import describe
    from zhpipe.headlines.data import read_pairs
    from zhpipe.headlines.rouge import rouge
    from zhpipe.headlines.train import Titler

    model = Titler.load(args.model)
    pairs = read_pairs(args.pairs / f"{args.split}.tsv")
    texts, refs = [t for _, t in pairs], [h for h, _ in pairs]
    model.generate(texts[:args.batch_size], 5, batch_size=args.batch_size)  # warm-up
    for beam, lp, nr in itertools.product(args.beams, args.penalties, args.no_repeat):
        model.length_penalty, model.no_repeat = lp, nr
        t0 = time.perf_counter()
        out = model.generate(texts, beam, batch_size=args.batch_size)
        ms = 1000 * (time.perf_counter() - t0) / len(texts)
        print(json.dumps({"bench": "title_decoding", **describe(), "model": str(args.model),
                          "split": args.split, "pairs": len(pairs), "beam": beam,
                          "length_penalty": lp, "no_repeat_ngram": nr,
                          "batch_size": args.batch_size, "ms_per_headline": round(ms, 2),
                          "mean_chars": round(sum(map(len, out)) / len(out), 1),
                          **rouge(out, refs),
                          "command": "python bench/title_decoding.py " + " ".join(sys.argv[1:])},
                         ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
