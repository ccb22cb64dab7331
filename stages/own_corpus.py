"""Stage own_corpus@<name>: a user's field corpus against general text: its lexicon, its terms
ranked by contrast with the general corpus, a lexicon that keeps them whole, word vectors that
know them, and how often each segmenter keeps them whole (zhpipe.field.own_corpus)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.mining.domain import OwnCorpusParams
from zhpipe.mining.params import MineWordsParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("name")
    ap.add_argument("--own", type=Path, required=True, help="the ingested raw.txt")
    ap.add_argument("--general", type=Path, nargs="+", required=True,
                    help="general raw text to contrast with (one sentence per line)")
    ap.add_argument("--general-lexicon", type=Path, required=True, help="the pipeline's lexicon")
    ap.add_argument("--general-segmented", type=Path, required=True,
                    help="general text segmented by that lexicon (for the word vectors)")
    ap.add_argument("--crf", type=Path, help="train_seg's folder (the CRF segmenter)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.field.own_corpus import run_own_corpus

        mp = run.section("mine_words", MineWordsParams)
        run.params = {"own_corpus": p, "mine_words": mp}
        return run_own_corpus(p, mp, args.own, args.general, args.general_lexicon,
                              args.general_segmented, args.crf, run.out(args.out))

    stagerun.run(f"own_corpus@{args.name}", work, section="own_corpus", model=OwnCorpusParams,
                 params=args.params, metrics=args.metrics, outs=[args.out])


if __name__ == "__main__":
    main()
