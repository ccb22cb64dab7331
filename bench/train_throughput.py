"""Bench: training throughput of every Keras model, on whatever backend and device it finds.

Each model is built with its stage's params from params.yaml and trained through the stage's
own training function on synthetic data shaped like the real data (length distributions and
vocabulary sizes of the quick profile), so that the bench needs no pipeline run and runs as is
on a GPU machine that holds only the code. One JSON line per model and backend: tokens/s,
examples/s, the number of XLA compilations where JAX reports them, and the device; with
several backends each runs in its own process (Keras picks its backend once).

    python bench/train_throughput.py                           # tensorflow and jax, all models
    python bench/train_throughput.py --backends jax --models couplet_seq2seq --scale 4
    python bench/train_throughput.py --budget-s 540            # stop starting models after 9 min

``--scale`` multiplies the synthetic data (default 1: about 20 to 60 s per model on a 2-core
CPU). The first pass includes compilation; the line reports the whole pass (what a run pays)
and, for the couplet models, a second pass (steady state).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
MODELS = ("couplet_tagger", "couplet_seq2seq", "titler", "crf_seg", "cloze_reader",
          "word2vec_keras", "poem_vae")


def emit(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


def _chars(n: int, seed: int) -> list[str]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [chr(0x4E00 + int(i)) for i in rng.choice(6000, n, replace=False)]


def _zipf_text(rng, chars: list[str], lengths) -> list[str]:
    import numpy as np

    p = 1.0 / np.arange(1, len(chars) + 1)
    p /= p.sum()
    return ["".join(chars[i] for i in rng.choice(len(chars), int(n), p=p)) for n in lengths]


def _compile_counter():
    """Number of XLA compilations so far (JAX only; None elsewhere)."""
    import keras

    if keras.backend.backend() != "jax":
        return lambda: None
    import jax

    count = [0]

    def listener(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            count[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    return lambda: count[0]


def bench_couplet(kind: str, scale: float, compiles) -> dict:
    import numpy as np

    from zhpipe.couplet.data import CharVocab
    from zhpipe.couplet.params import CoupletParams
    from zhpipe.couplet.train import train_couplet
    from zhpipe.params import load_section

    p = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    chars = _chars(4600, 0)
    n = int(10_000 * scale)
    # couplet line lengths: mostly 5 and 7, some 4 to 11, a tail to 30
    lengths = rng.choice([4, 5, 6, 7, 8, 9, 10, 11, 14, 18, 24, 30], n,
                         p=[.05, .2, .06, .3, .06, .06, .05, .08, .06, .04, .02, .02])
    uppers = _zipf_text(rng, chars, lengths)
    lowers = _zipf_text(rng, chars, lengths)
    pairs = list(zip(uppers, lowers, strict=True))
    vocab = CharVocab.build(uppers + lowers)
    kw = dict(dim=p.dim, dilations=p.dilations, dropout=p.dropout, heads=p.heads,
              tokens_per_batch=p.tokens_per_batch, learning_rate=p.learning_rate,
              patience=9, seed=1)
    tokens = int(lengths.sum())
    c0 = compiles()
    t0 = time.perf_counter()
    _, info = train_couplet(kind, pairs, pairs[:200], vocab, epochs=2, **kw)
    total = time.perf_counter() - t0
    first = info["epoch_seconds"][0]
    return {"examples": n, "tokens": tokens, "vocab": len(vocab), "epochs": 2,
            "seconds": round(total, 1),
            "pairs_per_sec_overall": info["train_pairs_per_sec"],
            "pairs_per_sec_first_pass": round(n / first) if first else None,
            # the second pass after its first 10% (pass times are rounded to 0.1 s)
            "pairs_per_sec_steady": info["steady_pairs_per_sec"],
            "tokens_per_sec_steady": round(info["steady_pairs_per_sec"] * tokens / n),
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"dim": p.dim, "tokens_per_batch": p.tokens_per_batch}}


def bench_crf(scale: float, compiles) -> dict:
    import numpy as np

    from zhpipe.params import load_section
    from zhpipe.tagging.data import SEG_TAGS
    from zhpipe.tagging.params import SegParams
    from zhpipe.tagging.tagger import train_tagger

    p = load_section("train_seg", SegParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    chars = _chars(4000, 1)
    n = int(4_000 * scale)
    lengths = np.clip(rng.gamma(2.0, 20.0, n), 2, p.max_len).astype(int)
    texts = _zipf_text(rng, chars, lengths)
    tags = [[SEG_TAGS[int(i)] for i in rng.integers(0, 4, len(t))] for t in texts]
    c0 = compiles()
    t0 = time.perf_counter()
    _, info = train_tagger(texts, tags, SEG_TAGS, None, lambda t: 0.0, epochs=1, patience=9,
                           tokens_per_batch=p.tokens_per_batch, learning_rate=p.learning_rate,
                           seed=1, max_len=p.max_len, encoder=p.encoder, filters=p.filters,
                           char_dim=p.char_dim, bigram_dim=p.bigram_dim,
                           dilations=tuple(p.dilations), dropout=p.dropout, ema=p.ema)
    return {"examples": n, "tokens": int(lengths.sum()), "seconds":
            round(time.perf_counter() - t0, 1),
            "tokens_per_sec": info["train_chars_per_sec"],
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"filters": p.filters, "tokens_per_batch": p.tokens_per_batch}}


def bench_cloze(scale: float, compiles) -> dict:
    import numpy as np

    from zhpipe.cloze.data import ClozeItem
    from zhpipe.cloze.params import ReaderParams
    from zhpipe.cloze.train import train_reader
    from zhpipe.cloze.vocab import WordVocab
    from zhpipe.params import load_section

    p = load_section("train_cloze", ReaderParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)]
    prob = 1.0 / np.arange(1, len(words) + 1)
    prob /= prob.sum()
    n = int(3_000 * scale)
    items = []
    for k in range(n):
        sents = [[words[i] for i in rng.choice(len(words), int(rng.integers(10, 40)), p=prob)]
                 for _ in range(13)]
        answer = sents[int(rng.integers(0, 13))][0]
        query = [words[i] for i in rng.choice(len(words), 25, p=prob)]
        query[int(rng.integers(0, 25))] = "XXXXX"
        items.append(ClozeItem(f"q{k}", sents, query, answer))
    vocab = WordVocab.build(items, p.min_count, p.max_vocab, p.oov_slots)
    tokens = sum(min(len(it.tokens), p.max_doc) + len(it.query) for it in items)
    c0 = compiles()
    t0 = time.perf_counter()
    _, info = train_reader(items, items[:100], vocab, dim=p.dim, units=p.units,
                           dropout=p.dropout, max_doc=p.max_doc,
                           tokens_per_batch=p.tokens_per_batch, encoder=p.encoder,
                           dilations=tuple(p.dilations), learning_rate=p.learning_rate,
                           epochs=1, patience=9, seed=1)
    seconds = time.perf_counter() - t0
    return {"examples": n, "tokens": tokens, "seconds": round(seconds, 1),
            "items_per_sec": info.get("train_items_per_sec"),
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"units": p.units, "tokens_per_batch": p.tokens_per_batch}}


def bench_word2vec(scale: float, compiles) -> dict:
    import numpy as np

    from zhpipe.embeddings.keras_w2v import train_keras
    from zhpipe.embeddings.params import Word2VecParams
    from zhpipe.params import load_section

    p = load_section("word2vec", Word2VecParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    vocab = 30_000
    prob = 1.0 / np.arange(1, vocab + 1)
    prob /= prob.sum()
    n = int(1_000_000 * scale)
    ids = rng.choice(vocab, n, p=prob).astype(np.int32)
    offsets = np.arange(0, n + 1, 25, dtype=np.int64)
    offsets[-1] = n
    counts = np.bincount(ids, minlength=vocab)
    c0 = compiles()
    _, stats = train_keras(ids, offsets, counts, dim=p.dim, window=p.window,
                           negative=p.negative, sample=p.sample, epochs=1, alpha=p.alpha,
                           min_alpha=p.min_alpha, seed=1, batch_size=p.batch_size,
                           shared_negatives=p.shared_negatives,
                           steps_per_execution=p.steps_per_execution)
    return {"tokens": n, "seconds": round(stats["seconds"], 1),
            "effective_words_per_sec": round(stats["words_per_sec"]),
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"dim": p.dim, "batch_size": p.batch_size}}


def bench_poem(scale: float, compiles) -> dict:
    import numpy as np

    from zhpipe.params import load_section
    from zhpipe.poem.params import PoemParams
    from zhpipe.poem.vae import train

    p = load_section("train_poem", PoemParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    chars = _chars(6000, 0)
    n = int(20_000 * scale)
    text = _zipf_text(rng, chars, [10] * n)
    couplets = [f"{t[:5]}，{t[5:]}。" for t in text]
    c0 = compiles()
    t0 = time.perf_counter()
    _, info = train(couplets, couplets[:500], 5, dim=p.dim, latent=p.latent,
                    encoder_convs=p.encoder_convs, decoder_convs=p.decoder_convs,
                    dropout=p.dropout, min_count=1, batch_size=p.batch_size,
                    learning_rate=p.learning_rate, epochs=2, patience=9,
                    kl_warmup_steps=p.kl_warmup_steps, free_bits=p.free_bits, seed=1)
    total = time.perf_counter() - t0
    secs = [h["seconds"] for h in info["history"]]
    return {"examples": n, "tokens": 10 * n, "vocab": info["vocabulary"], "epochs": 2,
            "seconds": round(total, 1),
            "couplets_per_sec_first_pass": round(n / secs[0]) if secs[0] else None,
            "couplets_per_sec_steady": round(n / secs[1]) if secs[1] else None,
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"dim": p.dim, "latent": p.latent, "batch_size": p.batch_size}}


def bench_titler(scale: float, compiles) -> dict:
    """The headline model with the stage's params: texts as long as it reads (the quick
    profile's 128 characters; xwlb texts are longer), headlines 8 to 40 characters."""
    import numpy as np

    from zhpipe.headlines.params import TitleParams
    from zhpipe.headlines.train import train_titler
    from zhpipe.params import load_section
    from zhpipe.seq2seq.vocab import Vocab

    p = load_section("train_title", TitleParams, ROOT / "params.yaml")
    rng = np.random.default_rng(0)
    chars = _chars(3500, 0)
    n = int(3_000 * scale)
    texts = _zipf_text(rng, chars, [p.max_text_chars] * n)
    heads = _zipf_text(rng, chars, rng.integers(8, 41, n))
    pairs = list(zip(heads, texts, strict=True))
    vocab = Vocab.build(texts + heads, 1, p.max_vocab)
    c0 = compiles()
    t0 = time.perf_counter()
    _, info = train_titler(pairs, pairs[:200], vocab, max_text_chars=p.max_text_chars,
                           max_title_chars=p.max_title_chars, dim=p.dim,
                           enc_layers=p.enc_layers, dec_layers=p.dec_layers, heads=p.heads,
                           dropout=p.dropout, copy_prior=p.copy_prior, batch_size=p.batch_size,
                           learning_rate=p.learning_rate, epochs=2, patience=9, seed=1)
    total = time.perf_counter() - t0
    secs = [h["seconds"] for h in info["history"]]
    chars_per_pair = p.max_text_chars
    return {"examples": n, "tokens": n * chars_per_pair, "vocab": len(vocab), "epochs": 2,
            "seconds": round(total, 1),
            "text_chars_per_sec_first_pass": round(n * chars_per_pair / secs[0]),
            "text_chars_per_sec_steady": round(n * chars_per_pair / secs[1]),
            "pairs_per_sec_steady": round(n / secs[1]),
            "compilations": None if c0 is None else compiles() - c0,
            "params": {"dim": p.dim, "enc_layers": p.enc_layers, "dec_layers": p.dec_layers,
                       "batch_size": p.batch_size, "max_text_chars": p.max_text_chars}}


def run_one(model: str, scale: float) -> dict:
    import keras

    from zhpipe.backend import describe

    compiles = _compile_counter()
    fn = {"couplet_tagger": lambda: bench_couplet("tagger", scale, compiles),
          "couplet_seq2seq": lambda: bench_couplet("seq2seq", scale, compiles),
          "titler": lambda: bench_titler(scale, compiles),
          "crf_seg": lambda: bench_crf(scale, compiles),
          "cloze_reader": lambda: bench_cloze(scale, compiles),
          "word2vec_keras": lambda: bench_word2vec(scale, compiles),
          "poem_vae": lambda: bench_poem(scale, compiles)}[model]
    row = {"bench": "train_throughput", "model": model, **describe(),
           "keras": keras.__version__, "threads": os.cpu_count(), "scale": scale}
    row.update(fn())
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--budget-s", type=float, default=540,
                    help="start no new model after this many seconds (default 540)")
    ap.add_argument("--one", nargs=2, metavar=("BACKEND", "MODEL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        from zhpipe.backend import select

        select(args.one[0])
        emit(**run_one(args.one[1], args.scale))
        return 0
    t0 = time.monotonic()
    status = 0
    for model in args.models:
        for name in args.backends:
            if time.monotonic() - t0 > args.budget_s:
                emit(bench="train_throughput", model=model, backend=name,
                     skipped=f"budget of {args.budget_s:g} s spent")
                continue
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
            proc = subprocess.run([sys.executable, __file__, "--one", name, model, "--scale",
                                   str(args.scale)], capture_output=True, text=True, env=env)
            lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
            if proc.returncode or not lines:
                status = 1
                emit(bench="train_throughput", model=model, backend=name,
                     error=proc.stderr.strip().splitlines()[-1:] or ["no output"])
            else:
                print(lines[-1], flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
