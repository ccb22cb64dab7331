"""Stage train_couplet: couplets, the CNN tagger baseline and the attention seq2seq, side by side."""

import argparse
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.couplet.params import CoupletParams
from zhpipe.fsutil import write_json
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--couplet", type=Path, required=True, help="prepared couplet folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_couplet", CoupletParams, args.params)
    backend.select(p.backend, "train_couplet.backend")  # before Keras is imported
    from zhpipe.couplet.experiment import run_experiment

    metrics = run_experiment(p, args.couplet, args.out)
    write_json(args.out / "summary.json", {k: v for k, v in metrics.items() if k != "examples"})
    metrics["backend"] = backend.describe()
    tracking.record_stage("train_couplet", p, metrics, args.metrics, models=args.out)


if __name__ == "__main__":
    stagerun.run("train_couplet", main)
