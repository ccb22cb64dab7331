"""Stage word2vec: word and character vectors (Keras or gensim engine), evaluated on CA8."""

import argparse
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.embeddings import training
from zhpipe.embeddings.training import Word2VecParams
from zhpipe.params import ParamsError, load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lexicon", type=Path, required=True)
    ap.add_argument("--mined", type=Path, required=True, help="corpus segmented by the lexicon")
    ap.add_argument("--gold", type=Path, help="prepared pd1998 folder (gold segmentation)")
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="prepared LCSTS/CMRC folders")
    ap.add_argument("--ca8", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("word2vec", Word2VecParams, args.params)

    t0 = time.perf_counter()
    user = [Path(f) for f in p.user_files]
    for f in user:
        if not f.is_file():
            raise ParamsError(f"{args.params}: word2vec.user_files: {f} is not a file")
    sentences, sources = training.training_corpus(
        args.mined, args.lexicon, gold=args.gold if p.input == "gold" else None,
        extra=args.extra if p.extra_corpora else [], user_files=user)
    metrics = training.run(sentences, p, args.out, args.ca8, args.plot)
    metrics["corpus"] = {**sources, "input": p.input}
    metrics["seconds_total"] = round(time.perf_counter() - t0, 2)
    tracking.record_stage("word2vec", p, metrics, args.metrics,
                          artifacts=[args.plot] if args.plot else [])


if __name__ == "__main__":
    stagerun.run("word2vec", main)
