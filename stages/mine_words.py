"""Stage mine_words: mine a lexicon from the counted corpus, segment it, score on SIGHAN 2005
(zhpipe.mining.mine_words)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.mining.params import MineWordsParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counts", type=Path, required=True, help="folder of count shards (.npz)")
    ap.add_argument("--sighan", type=Path, help="prepared SIGHAN 2005 folder, for scoring")
    ap.add_argument("--dev", type=Path, help="a gold segmented file (one sentence a line, words "
                    "space-separated) whose text is in the inputs: the split the mining "
                    "thresholds are chosen on, scored as the test sets")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--features-inputs", nargs="+", default=[],
                    help="text holding no test sentence: mine lexicon.features.tsv from it alone")
    ap.add_argument("--segment", nargs="+", default=[],
                    help="text to write segmented.txt from (default: the mined inputs)")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.mining.mine_words import run_mine_words

        return run_mine_words(p, args.counts, args.inputs, run.out(args.out), args.sighan,
                              args.dev, args.plot, args.features_inputs, stagerun.threads(),
                              args.segment)

    stagerun.run("mine_words", work, section="mine_words", model=MineWordsParams,
                 params=args.params, metrics=args.metrics, outs=[args.out],
                 artifacts=[args.out / "curve.json"] + ([args.plot] if args.plot else []))


if __name__ == "__main__":
    main()
