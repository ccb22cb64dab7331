"""Stage train_title: news headlines from their text (Su's seq2seq with the copy prior), scored
against the lead and retrieval baselines on the later news and on LCSTS PART III."""

import argparse
from pathlib import Path

from zhpipe import serving, stagerun
from zhpipe.headlines.params import TitleParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=Path, required=True,
                    help="prepared folder of train/dev/test.tsv (headline<TAB>text)")
    ap.add_argument("--lcsts", type=Path, help="prepared LCSTS folder (part3_test.tsv): a "
                    "second test set from another domain")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.headlines.experiment import run_train_title  # after the backend is chosen

        return run_train_title(p, args.pairs, run.out(args.out), args.lcsts,
                               callbacks=run.callbacks)

    stagerun.run("train_title", work, section="train_title", model=TitleParams,
                 params=args.params, metrics=args.metrics, outs=[args.out], models=args.out,
                 model_specs=serving.specs)


if __name__ == "__main__":
    main()
