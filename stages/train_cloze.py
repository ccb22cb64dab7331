"""Stage train_cloze: the cloze reader (attention sum over passage words), scored on the CMRC 2017
cloze validation set."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
from zhpipe.cloze.params import ReaderParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=Path, required=True, help="the cloze_items stage's folder")
    ap.add_argument("--vectors", type=Path, required=True, help="the cloze_vectors stage's vectors.npz")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.cloze.experiment import train_and_score  # after the backend is chosen

        return train_and_score(p, args.items, args.vectors, args.cmrc, run.out(args.out),
                               run.callbacks)

    stagerun.run("train_cloze", work, section="train_cloze", model=ReaderParams, params=args.params,
                 metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
