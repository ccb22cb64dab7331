"""``zhpipe couplet``: write the lower line (下联) of couplets with the trained models."""

from __future__ import annotations

import sys

DEFAULT = "data/couplet"


def cmd_couplet(args) -> int:
    from pathlib import Path

    from zhpipe.cli.io import argument_text, load_artefact, stdin_lines
    from zhpipe.couplet.data import CoupletError, check_upper
    from zhpipe.couplet.train import Couplet, best_kind
    from zhpipe.errors import UserError

    try:  # the input first: bad bytes are refused before the model is loaded
        lines = [argument_text(u, i) for i, u in enumerate(args.upper, 1)] if args.upper \
            else list(stdin_lines())
        kind = best_kind(args.models) if args.model == "best" else args.model
        model = load_artefact(Path(args.models) / f"{kind}.keras", "train_couplet",
                              lambda: Couplet.load(args.models, kind))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # validate every line first; answer the good ones in one batch (grouped by length)
    good: list[tuple[int, str]] = []
    bad = 0
    for no, line in enumerate(lines, 1):
        if not line.strip() and not args.upper:
            continue  # stdin mode: empty lines stay empty
        try:
            good.append((no, check_upper(line, model.max_len)))
        except CoupletError as exc:
            print(f"error: {f'line {no}: ' if not args.upper else ''}{exc}", file=sys.stderr)
            bad += 1
    outs = model.generate([line for _, line in good], args.beam,
                          form_weight=args.form_weight)
    answers = {no: out for (no, _), out in zip(good, outs, strict=True)}
    for no, _ in enumerate(lines, 1):
        if no in answers:
            print(answers[no])
        elif not args.upper:
            print()  # keep stdin and stdout line-aligned; any error went to stderr
    return 1 if bad else 0


def add_parsers(sub) -> None:
    c = sub.add_parser("couplet", help="write the lower line (下联) of a couplet",
                       description="Write the lower line for each upper line given as an "
                       "argument, or for each line of stdin (empty lines stay empty). The output "
                       "has the input's length, its punctuation at the same places and its "
                       "repeated characters mirrored; non-Chinese characters are copied.")
    c.add_argument("upper", nargs="*", help="upper lines (default: read stdin)")
    c.add_argument("--model", choices=["best", "transformer", "seq2seq", "tagger"],
                   default="best", help="which trained model (default best: the one with the "
                   "lowest dev loss, as the train_couplet stage recorded in best.json)")
    c.add_argument("--beam", type=int, default=5, help="beam width (default 5; 1 = greedy)")
    c.add_argument("--form-weight", type=float, default=None, metavar="W",
                   help="rank the beam's lines by mean log-probability + W x couplet form score "
                   "(0-1: tones, word boundaries, parts of speech, repetition); default: the "
                   "train_couplet.form_weight the model was trained with; 0: the model alone")
    c.add_argument("--models", default=DEFAULT, help=f"model folder (default {DEFAULT})")
    c.set_defaults(func=cmd_couplet)
