"""Bench: the headline model at full scale (the train_title stage's experiment, full profile).

Trains on the xwlb training pairs with the ``train_title`` params of params.yaml overlaid with
params.d/full.yaml's (the documented switch: ``zhpipe profile full``), ``--set`` overriding any
of them; scores on the test year and LCSTS PART III beside the lead and retrieval baselines
computed in the same run; prints one JSON line (the metrics, the 20 examples, the backend and
device, the command). The model goes to ``--out``.

    python bench/title_full.py --set max_minutes=80 >> bench/results/title_full.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["full", "quick"], default="full")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a train_title param, e.g. --set max_minutes=80")
    ap.add_argument("--pairs", type=Path, default=ROOT / "data/prepared/xwlb")
    ap.add_argument("--lcsts", type=Path, default=ROOT / "data/prepared/lcsts")
    ap.add_argument("--out", type=Path, default=ROOT / "data/title_full")
    args = ap.parse_args()

    from zhpipe.headlines.params import TitleParams
    from zhpipe.overrides import parse_overrides
    from zhpipe.params import load_section

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    base = load_section("train_title", TitleParams, ROOT / "params.yaml")
    profile = yaml.safe_load((ROOT / f"params.d/{args.profile}.yaml").read_text("utf-8"))
    p = TitleParams.model_validate({**base.model_dump(), **profile["train_title"],
                                    **parse_overrides(args.set, "train_title")})

    from zhpipe.backend import describe
    from zhpipe.headlines.experiment import run_train_title

    t0 = time.perf_counter()
    m = run_train_title(p, args.pairs, args.out,
                        args.lcsts if (args.lcsts / "part3_test.tsv").exists() else None)
    row = {"bench": "title_full", "profile": args.profile, **describe(),
           "command": "python bench/title_full.py " + " ".join(sys.argv[1:]),
           "params": p.model_dump(mode="json"), "seconds": round(time.perf_counter() - t0), **m}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
