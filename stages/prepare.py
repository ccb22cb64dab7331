"""Stage prepare@<corpus>: normalise data/raw/<corpus> into data/prepared/<corpus>."""

import argparse
import sys
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.corpus.prepare import PREPARERS, PrepareParams
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus")
    ap.add_argument("raw_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    p = load_section("prepare", PrepareParams, args.params)
    opts = p.options(args.corpus, args.params)
    if not args.raw_dir.is_dir():
        raise FileNotFoundError(f"{args.raw_dir}: not found; run the download@{args.corpus} stage")
    t0 = time.perf_counter()
    with atomic_dir(args.out_dir) as tmp:
        rows = PREPARERS[args.corpus](args.raw_dir, tmp, opts, p.max_line_chars)
    metrics = {
        "files": {r["file"]: {k: v for k, v in r.items() if k not in ("corpus", "file")}
                  for r in rows},
        "sentences": sum(r["sentences"] for r in rows),
        "characters": sum(r["characters"] for r in rows),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    params = {"corpus": args.corpus, "max_line_chars": p.max_line_chars,
              **opts.model_dump(mode="json")}
    tracking.record_stage(f"prepare@{args.corpus}", params, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run(f"prepare@{sys.argv[1] if len(sys.argv) > 1 else '?'}", main)
