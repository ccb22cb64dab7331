"""Stage train_ner: the CRF names tagger (BIO person/place/organisation), reading the
segmenter's tags, scored on the held-out half of the 1998 dev split."""

import argparse
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section
from zhpipe.tagging.params import NerParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True, help="prepared 1998 corpus folder")
    ap.add_argument("--seg", type=Path, required=True, help="the train_seg stage's folder")
    ap.add_argument("--lexicon", type=Path, required=True, help="mined lexicon (.tsv)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("train_ner", NerParams, args.params)
    backend.select(p.backend, "train_ner.backend")  # before Keras is imported
    from zhpipe.tagging.names import run_names

    with atomic_dir(args.out) as out:
        metrics = run_names(p, args.pd1998, args.seg, args.lexicon, out)
    metrics["backend"] = backend.describe()
    tracking.record_stage("train_ner", p, metrics, args.metrics, models=args.out)


if __name__ == "__main__":
    stagerun.run("train_ner", main)
