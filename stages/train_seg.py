"""Stage train_seg: the CRF word segmenter (BMES), scored on SIGHAN 2005 PKU/MSR, and its
jackknifed tags of the names tagger's training sentences."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
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

    def work(p, run):
        from zhpipe.tagging.segmentation import run_segmenter  # after the backend is chosen

        return run_segmenter(p, args.pd1998, args.sighan, args.lexicon, run.out(args.out),
                             run.callbacks)

    stagerun.run("train_seg", work, section="train_seg", model=SegParams, params=args.params,
                 metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
