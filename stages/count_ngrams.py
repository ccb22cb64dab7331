"""Stage count_ngrams@<shard>: count character n-grams in one shard of the mining corpus."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.mining.params import CountParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("shard", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.mining.ngrams import run_count

        return run_count(p, args.shard, args.inputs, args.out, args.params)

    stagerun.run(f"count_ngrams@{args.shard}", work, section="count_ngrams", model=CountParams,
                 params=args.params, metrics=args.metrics)


if __name__ == "__main__":
    main()
