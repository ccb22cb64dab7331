"""Stage train_couplet: couplets, the CNN tagger baseline and the attention seq2seq, side by side."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
from zhpipe.couplet.params import CoupletParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--couplet", type=Path, required=True, help="prepared couplet folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.couplet.experiment import run_experiment  # after the backend is chosen

        return run_experiment(p, args.couplet, run.out(args.out), callbacks=run.callbacks)

    stagerun.run("train_couplet", work, section="train_couplet", model=CoupletParams, params=args.params,
                 metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
