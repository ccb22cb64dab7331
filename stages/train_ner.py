"""Stage train_ner: the CRF names tagger (BIO person/place/organisation), reading the
segmenter's tags, scored on the held-out half of the 1998 dev split."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
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

    def work(p, run):
        from zhpipe.tagging.names import run_names  # after the backend is chosen

        return run_names(p, args.pd1998, args.seg, args.lexicon, run.out(args.out),
                         run.callbacks)

    stagerun.run("train_ner", work, section="train_ner", model=NerParams, params=args.params,
                 metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
