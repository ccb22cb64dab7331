"""Stage eval_word2vec: CA8 analogies, probe words' neighbours and a projection plot of the
word2vec stage's vectors (evaluation only: changing a probe word retrains nothing)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.embeddings.params import EvalWord2VecParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vectors", type=Path, required=True, help="the word2vec stage's vectors.npz")
    ap.add_argument("--ca8", type=Path, required=True, help="prepared CA8 folder")
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.embeddings.quality import run_evaluation

        return run_evaluation(p, args.vectors, args.ca8, args.plot)

    stagerun.run("eval_word2vec", work, section="eval_word2vec", model=EvalWord2VecParams, params=args.params,
                 metrics=args.metrics,
                 artifacts=[args.plot] if args.plot else [])


if __name__ == "__main__":
    main()
