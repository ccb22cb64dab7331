"""Stage cloze_vectors: the word vectors the cloze reader starts from (its own skip-gram vectors by
default)."""

import argparse
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.cloze.params import VectorsParams
from zhpipe.cloze.vectors import make_vectors
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=Path, required=True, help="the cloze_items stage's folder")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--word2vec", type=Path, help="the word2vec stage's vectors.npz (source: word2vec)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("cloze_vectors", VectorsParams, args.params)
    with atomic_dir(args.out) as out:
        metrics = make_vectors(p, args.items, args.cmrc, args.word2vec, out)
    tracking.record_stage("cloze_vectors", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run("cloze_vectors", main)
