"""``zhpipe similar`` and ``zhpipe analogy``: query the pipeline's word vectors."""

from __future__ import annotations

import sys

DEFAULT = "data/word2vec/vectors.npz"


def _load(path: str):
    from zhpipe.cli.io import load_artefact
    from zhpipe.embeddings.evaluate import unit_rows
    from zhpipe.embeddings.io import load_npz
    from zhpipe.errors import UserError

    try:
        words, vectors, _ = load_artefact(path, "word2vec", lambda: load_npz(path))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    return words, vectors, unit_rows(vectors)


def _positive(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of at least 1")
    return n


def cmd_similar(args) -> int:
    from zhpipe.embeddings.evaluate import neighbours

    loaded = _load(args.vectors)
    if loaded is None:
        return 2
    words, vectors, unit = loaded
    try:
        for w, s in neighbours(words, vectors, args.word, args.n, unit=unit):
            print(f"{w}\t{s:.4f}")
    except KeyError:
        print(f"'{args.word}' is not in the vocabulary ({len(words):,} words)", file=sys.stderr)
        return 1
    return 0


def cmd_analogy(args) -> int:
    import numpy as np

    from zhpipe.embeddings.evaluate import solve_analogies

    loaded = _load(args.vectors)
    if loaded is None:
        return 2
    words, _, unit = loaded
    index = {w: i for i, w in enumerate(words)}
    missing = [w for w in (args.a, args.b, args.c) if w not in index]
    if missing:
        print(f"not in the vocabulary: {', '.join(missing)}", file=sys.stderr)
        return 1
    a, b, c = (np.array([index[w]]) for w in (args.a, args.b, args.c))
    for method in ("add", "mul"):
        pred = solve_analogies(unit, a, b, c, method)[0]
        print(f"{args.a} : {args.b} :: {args.c} : {words[pred]}\t(3Cos{method.title()})")
    return 0


def add_parsers(sub) -> None:
    s = sub.add_parser("similar", help="nearest words by cosine similarity")
    s.add_argument("word")
    s.add_argument("-n", type=_positive, default=10, help="how many neighbours (default 10)")
    s.add_argument("--vectors", default=DEFAULT)
    s.set_defaults(func=cmd_similar)
    a = sub.add_parser("analogy", help="A is to B as C is to ?")
    a.add_argument("a")
    a.add_argument("b")
    a.add_argument("c")
    a.add_argument("--vectors", default=DEFAULT)
    a.set_defaults(func=cmd_analogy)
