"""Stage count_ngrams@<shard>: count character n-grams in one shard of the mining corpus."""

import argparse
import sys
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.mining.corpus_io import shard_lines
from zhpipe.mining.ngrams import count_stream, save
from zhpipe.mining.params import CountParams
from zhpipe.params import ParamsError, load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("shard", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("count_ngrams", CountParams, args.params)
    if sorted(p.shards) != list(range(len(p.shards))):
        raise ParamsError(f"{args.params}: count_ngrams.shards must be 0, 1, ..., n-1; got "
                          f"{p.shards}")
    t0 = time.perf_counter()
    lines = shard_lines(args.inputs, args.shard, len(p.shards), p.max_line_chars)
    tables, n_lines, chars = count_stream(lines, p.max_order, p.batch_chars)
    save(tables, args.out, shard=(args.shard, len(p.shards)))
    seconds = time.perf_counter() - t0
    metrics = {"lines": n_lines, "characters": chars, "seconds": round(seconds, 2),
               "chars_per_sec": round(chars / seconds) if seconds else 0,
               "distinct": {str(n): len(t) for n, t in tables.items()}}
    tracking.record_stage(f"count_ngrams@{args.shard}", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run(f"count_ngrams@{sys.argv[1] if len(sys.argv) > 1 else '?'}", main)
