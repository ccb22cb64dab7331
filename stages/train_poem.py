"""Stage train_poem: Su Jianlin's CNN + VAE poem writer on Tang couplets, judged by the rules of
the form against a character bigram sampler and lines drawn from the training set."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
from zhpipe.poem.params import PoemParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--poetry", type=Path, required=True, help="prepared poetry folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.poem.experiment import run_experiment  # after the backend is chosen

        return run_experiment(p, args.poetry, run.out(args.out), run.callbacks)

    stagerun.run("train_poem", work, section="train_poem", model=PoemParams, params=args.params,
                 metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
