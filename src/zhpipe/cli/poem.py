"""``zhpipe poem``: new couplets of Tang-style verse from the trained CNN + VAE."""

from __future__ import annotations

import argparse
import sys

DEFAULT = "data/poem"
MAX_COUNT = 10_000


def _count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= n <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{n} is outside 1..{MAX_COUNT}")
    return n


def _temperature(value: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= t <= 10:
        raise argparse.ArgumentTypeError(f"{t} is outside 0..10")
    return t


def cmd_poem(args) -> int:
    from pathlib import Path

    from zhpipe.cli.io import load_artefact
    from zhpipe.errors import UserError
    from zhpipe.poem.vae import PoemWriter

    folder = Path(args.models) / f"poem{args.chars}"
    try:
        writer = load_artefact(folder / "decoder.keras", "train_poem",
                               lambda: PoemWriter.load(folder))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.between:
        try:
            lines = writer.interpolate(args.between[0], args.between[1], args.count)
        except ValueError as exc:
            print(f"error: --between: {exc}", file=sys.stderr)
            return 2
    else:
        plain = {"temperature": 0.0, "rules": False, "tone_pattern": False} if args.plain else {}
        if args.temperature is not None:
            plain["temperature"] = args.temperature
        lines = writer.generate(args.count, seed=args.seed, **plain)
    for line in lines:
        print(line)
    return 0


def add_parsers(sub) -> None:
    c = sub.add_parser("poem", help="write new couplets of five- or seven-character verse",
                       description="Decode new couplets (上句，下句。) from random latent vectors "
                       "of the poem VAE (the train_poem stage), one a line; with --between, the "
                       "couplets along the line between two given couplets' latent codes.")
    c.add_argument("-n", "--count", type=_count, default=5,
                   help=f"how many couplets (default 5; at most {MAX_COUNT})")
    c.add_argument("--chars", type=int, choices=[5, 7], default=5,
                   help="characters a line: 5 (五言) or 7 (七言); default 5")
    c.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one)")
    c.add_argument("--temperature", type=_temperature, default=None,
                   help="0: the likeliest character at each position, as Su decodes; above 0: "
                   "sample each character at that temperature (default: the train_poem "
                   "stage's train_poem.temperature, saved with the model)")
    c.add_argument("--plain", action="store_true",
                   help="Su's plain decoding: the likeliest characters, repeated or not, any "
                   "tones (default: the stage's decoding rules, saved with the model)")
    c.add_argument("--between", nargs=2, metavar=("A", "B"),
                   help="interpolate between the latent codes of couplets A and B (-n steps)")
    c.add_argument("--models", default=DEFAULT, help=f"model folder (default {DEFAULT})")
    c.set_defaults(func=cmd_poem)
