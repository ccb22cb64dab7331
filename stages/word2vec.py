"""Stage word2vec: word and character vectors (Keras or gensim engine)."""

import argparse
import time
from pathlib import Path

from zhpipe import backend, stagerun, tracking
from zhpipe.embeddings import training
from zhpipe.embeddings.params import Word2VecParams
from zhpipe.fsutil import atomic_dir
from zhpipe.params import ParamsError, load_section


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
    p = load_section("word2vec", Word2VecParams, args.params)
    backend.select(p.backend, "word2vec.backend")  # the keras engine's (auto: on a GPU)

    t0 = time.perf_counter()
    user = [Path(f) for f in p.user_files]
    for f in user:
        if not f.is_file():
            raise ParamsError(f"{args.params}: word2vec.user_files: {f} is not a file")
    sentences, sources = training.training_corpus(
        args.mined, args.lexicon, gold=args.gold if p.input == "gold" else None,
        extra=args.extra if p.extra_corpora else [], user_files=user)
    with atomic_dir(args.out) as out:  # the folder appears whole, or not at all
        metrics = training.run(sentences, p, out)
    metrics["corpus"] = {**sources, "input": p.input}
    metrics["seconds_total"] = round(time.perf_counter() - t0, 2)
    tracking.record_stage("word2vec", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run("word2vec", main)
