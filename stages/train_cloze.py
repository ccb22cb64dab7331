"""Stage train_cloze: the cloze reader (attention sum over passage words), scored on the CMRC 2017
cloze validation set."""

import argparse
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.cloze.params import ReaderParams
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=Path, required=True, help="the cloze_items stage's folder")
    ap.add_argument("--vectors", type=Path, required=True, help="the cloze_vectors stage's vectors.npz")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_cloze", ReaderParams, args.params)
    backend.select(p.backend, "train_cloze.backend")  # before Keras is imported
    from zhpipe.cloze.experiment import train_and_score

    with atomic_dir(args.out) as out:
        metrics = train_and_score(p, args.items, args.vectors, args.cmrc, out)
    metrics["backend"] = backend.describe()
    tracking.record_stage("train_cloze", p, metrics, args.metrics, models=args.out)


if __name__ == "__main__":
    stagerun.run("train_cloze", main)
