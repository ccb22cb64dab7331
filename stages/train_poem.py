"""Stage train_poem: Su Jianlin's CNN + VAE poem writer on Tang couplets, judged by the rules of
the form against a character bigram sampler and lines drawn from the training set."""

import argparse
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section
from zhpipe.poem.params import PoemParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--poetry", type=Path, required=True, help="prepared poetry folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_poem", PoemParams, args.params)
    backend.select(p.backend, "train_poem.backend")  # before Keras is imported
    from zhpipe.poem.experiment import run_experiment

    with atomic_dir(args.out) as out:
        metrics = run_experiment(p, args.poetry, out)
    metrics["backend"] = backend.describe()
    tracking.record_stage("train_poem", p, metrics, args.metrics, models=args.out)


if __name__ == "__main__":
    stagerun.run("train_poem", main)
