"""``zhpipe title``: a headline for each news text, with the trained headline model."""

from __future__ import annotations

import sys

DEFAULT = "data/title"


def cmd_title(args) -> int:
    from pathlib import Path

    from zhpipe.cli.io import load_artefact, stdin_lines
    from zhpipe.corpus.text import read_lines
    from zhpipe.errors import UserError
    from zhpipe.headlines.train import Titler

    if args.beam < 1 or (args.max_len is not None and args.max_len < 1):
        print("error: --beam and --max-len must be at least 1", file=sys.stderr)
        return 2
    try:  # the input first: bad bytes are refused before the model is loaded
        lines = [line for _, line in read_lines(args.file)] if args.file and args.file != "-" \
            else list(stdin_lines())
        model = load_artefact(Path(args.models) / "titler.keras", "train_title",
                              lambda: Titler.load(args.models))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = args.file if args.file and args.file != "-" else "stdin"
    good: list[int] = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            print(f"error: {where} line {no}: empty; give one news text a line",
                  file=sys.stderr)
        else:
            good.append(no)
            if len(line.strip()) > model.max_text_chars:
                print(f"note: {where} line {no}: {len(line.strip())} characters; the model reads "
                      f"the first {model.max_text_chars}", file=sys.stderr)
    outs = model.generate([lines[no - 1] for no in good], args.beam, args.max_len,
                          args.batch_size, label="headlines" if len(good) > 4 * args.batch_size
                          else None)
    answers = dict(zip(good, outs, strict=True))
    for no in range(1, len(lines) + 1):
        print(answers.get(no, ""))  # line for line with the input; errors went to stderr
    return 0 if len(good) == len(lines) else 1


def add_parsers(sub) -> None:
    c = sub.add_parser("title", help="write a headline for each news text",
                       description="Write a headline for each line of FILE (or stdin): one news "
                       "text a line, one headline a line out, in the same order (an empty or "
                       "unreadable line gives an empty line and an error on stderr). Texts "
                       "longer than the model reads are cut, with a note on stderr.")
    c.add_argument("file", nargs="?", help="UTF-8 text file, one text a line (default: stdin)")
    c.add_argument("--beam", type=int, default=5, help="beam width (default 5; 1 = greedy)")
    c.add_argument("--max-len", type=int, default=None,
                   help="longest headline in characters (default: the model's, 40)")
    c.add_argument("--batch-size", type=int, default=64, help="texts decoded together")
    c.add_argument("--models", default=DEFAULT, help=f"model folder (default {DEFAULT})")
    c.set_defaults(func=cmd_title)
