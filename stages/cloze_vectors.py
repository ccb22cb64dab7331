"""Stage cloze_vectors: the word vectors the cloze reader starts from (its own skip-gram vectors by
default)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.cloze.params import VectorsParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=Path, required=True, help="the cloze_items stage's folder")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--word2vec", type=Path, help="the word2vec stage's vectors.npz (source: word2vec)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.cloze.vectors import make_vectors

        return make_vectors(p, args.items, args.cmrc, args.word2vec, run.out(args.out))

    stagerun.run("cloze_vectors", work, section="cloze_vectors", model=VectorsParams, params=args.params,
                 metrics=args.metrics, outs=[args.out])


if __name__ == "__main__":
    main()
