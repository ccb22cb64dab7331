"""Stage word2vec: word and character vectors (Keras or gensim engine)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.embeddings.params import Word2VecParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lexicon", type=Path, required=True)
    ap.add_argument("--mined", type=Path, required=True, help="corpus segmented by the lexicon")
    ap.add_argument("--gold", type=Path, help="prepared pd1998 folder (gold segmentation)")
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="prepared LCSTS/CMRC folders")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.embeddings.training import run_word2vec  # after the backend is chosen

        return run_word2vec(p, args.lexicon, args.mined, args.gold, args.extra,
                            run.out(args.out), args.params)

    stagerun.run("word2vec", work, section="word2vec", model=Word2VecParams, params=args.params,
                 metrics=args.metrics, outs=[args.out])


if __name__ == "__main__":
    main()
