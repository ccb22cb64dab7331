"""Stage prepare@<corpus>: normalise data/raw/<corpus> into data/prepared/<corpus>."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.corpus.options import PrepareParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus")
    ap.add_argument("raw_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.corpus.prepare import run_prepare

        metrics, run.params = run_prepare(p, args.corpus, args.raw_dir, run.out(args.out_dir),
                                          args.params)
        return metrics

    stagerun.run(f"prepare@{args.corpus}", work, section="prepare", model=PrepareParams,
                 params=args.params, metrics=args.metrics, outs=[args.out_dir])


if __name__ == "__main__":
    main()
