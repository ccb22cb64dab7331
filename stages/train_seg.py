"""Stage train_seg: the CRF word segmenter (BMES), scored on SIGHAN 2005 PKU/MSR, and its
jackknifed tags of the names tagger's training sentences."""

import argparse
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section
from zhpipe.tagging.params import SegParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True, help="prepared 1998 corpus folder")
    ap.add_argument("--sighan", type=Path, required=True, help="prepared SIGHAN 2005 folder")
    ap.add_argument("--lexicon", type=Path, required=True, help="mined lexicon (.tsv)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_seg", SegParams, args.params)
    backend.select(p.backend, "train_seg.backend")  # before Keras is imported
    from zhpipe.tagging.segmentation import run_segmenter

    with atomic_dir(args.out) as out:
        metrics = run_segmenter(p, args.pd1998, args.sighan, args.lexicon, out)
    metrics["backend"] = backend.describe()
    tracking.record_stage("train_seg", p, metrics, args.metrics, models=args.out)


if __name__ == "__main__":
    stagerun.run("train_seg", main)
