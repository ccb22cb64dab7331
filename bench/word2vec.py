"""Bench: the Keras word2vec engine against gensim, same corpus, same params, same run.

Trains skip-gram on the word2vec stage's corpus (run the pipeline first) with each engine and
``--seeds`` seeds, and prints one JSON line per (engine, seed): CA8 morphological and semantic
accuracy (3CosAdd, over covered questions) and coverage, effective words/s as gensim counts them
(words after subsampling), peak RSS; then a summary line with the keras/gensim ratios.

On the GPU machine run it with ``KERAS_BACKEND=jax`` (or torch) and ``--workers 16`` so that
gensim uses all the CPU cores there.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def gpu_peak_mb() -> float | None:
    """Peak accelerator memory of the active Keras backend so far (None: no GPU visible)."""
    import keras

    try:
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            if not tf.config.list_physical_devices("GPU"):
                return None
            return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            return gpus[0].memory_stats()["peak_bytes_in_use"] / 2**20 if gpus else None
        if backend == "torch":
            import torch

            return torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    except Exception:  # a backend without memory statistics: report none rather than fail
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engines", nargs="+", default=["gensim", "keras"])
    args = ap.parse_args()

    from zhpipe.embeddings.params import Word2VecParams
    from zhpipe.embeddings.quality import evaluate_ca8
    from zhpipe.embeddings.training import train, training_corpus
    from zhpipe.embeddings.vocab import Vocab
    from zhpipe.params import load_section

    p = load_section("word2vec", Word2VecParams, ROOT / "params.yaml")
    update = {"workers": args.workers}
    if args.epochs:
        update["epochs"] = args.epochs
    p = p.model_copy(update=update)
    data = ROOT / "data"
    sentences, sources = training_corpus(
        data / "mine_words/segmented.txt", data / "mine_words/lexicon.tsv",
        extra=[data / "prepared/lcsts", data / "prepared/cmrc2017"] if p.extra_corpora else [])
    vocab = Vocab.build(sentences, p.min_count)
    results: dict[str, list[dict]] = {}
    for engine in args.engines:
        for seed in range(1, args.seeds + 1):
            vectors, stats = train(sentences, vocab, p.model_copy(update={"seed": seed}), engine)
            ca8 = evaluate_ca8(vocab.words, vectors, data / "prepared/ca8")
            row = {"bench": "word2vec", "engine": engine, "backend": stats["backend"],
                   "seed": seed, "tokens": sources["tokens"], "vocabulary": len(vocab),
                   "epochs": p.epochs, "dim": p.dim,
                   "morphological_accuracy": round(ca8["morphological"]["accuracy"], 4),
                   "semantic_accuracy": round(ca8["semantic"]["accuracy"], 4),
                   "coverage": round(ca8["coverage"], 4),
                   "words_per_sec": round(stats["words_per_sec"]),
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                   "peak_gpu_mb": None if engine == "gensim" or (m := gpu_peak_mb()) is None
                   else round(m)}
            results.setdefault(engine, []).append(row)
            print(json.dumps(row), flush=True)
    if "gensim" in results and "keras" in results:
        def mean(engine, key):
            return statistics.mean(r[key] for r in results[engine])

        print(json.dumps({
            "bench": "word2vec_summary", "baseline": "gensim 4.4.0 skip-gram, same corpus and params",
            **{f"{e}_{k}": round(mean(e, k), 4) for e in ("keras", "gensim")
               for k in ("morphological_accuracy", "semantic_accuracy", "words_per_sec")},
            "speed_ratio": round(mean("keras", "words_per_sec") / mean("gensim", "words_per_sec"), 3),
        }), flush=True)


if __name__ == "__main__":
    main()
