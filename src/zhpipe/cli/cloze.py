"""``zhpipe cloze``: answer CMRC 2017-style cloze queries with the trained reader."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT = "data/cloze"


def cmd_cloze(args) -> int:
    from zhpipe.cli.io import check_output, load_artefact
    from zhpipe.cloze.data import (
        ClozeFormatError,
        ReadStats,
        accuracy,
        format_answers,
        read_answers,
        read_doc_query,
        write_answers,
    )
    from zhpipe.cloze.reader import Reader
    from zhpipe.errors import UserError

    try:
        if args.out:
            check_output(args.out, [args.doc_query, args.answers])
        stats = ReadStats()
        items = read_doc_query(args.doc_query, stats)
        reader = load_artefact(Path(args.models) / "reader.keras", "train_cloze",
                               lambda: Reader.load(args.models))
    except (FileNotFoundError, ClozeFormatError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    skipped = stats.skipped_no_blank + stats.skipped_empty_passage
    if skipped:
        print(f"warning: {args.doc_query}: {stats.skipped_no_blank} queries without XXXXX and "
              f"{stats.skipped_empty_passage} with an empty passage were skipped",
              file=sys.stderr)
    pairs = list(zip((it.qid for it in items), reader.answer(items), strict=True))
    if args.out:
        write_answers(args.out, pairs)
    else:
        for line in format_answers(pairs):
            print(line)
    if args.answers:
        try:
            s = accuracy(read_answers(args.answers), dict(pairs))
        except (FileNotFoundError, ClozeFormatError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"accuracy {s['accuracy']:.2f}% ({s['correct']}/{s['total']}, "
              f"{s['missing']} unanswered)", file=sys.stderr)
    return 0


def add_parsers(sub) -> None:
    c = sub.add_parser("cloze", help="answer cloze queries (CMRC 2017 doc_query format)",
                       description="Read a CMRC 2017 *.doc_query file and write one "
                       "'<qid_K> ||| answer' line per query (stdout, or --out).")
    c.add_argument("doc_query", help="the *.doc_query file")
    c.add_argument("--out", help="write the answers here (atomically) instead of stdout")
    c.add_argument("--answers", help="gold *.answer file: print the accuracy to stderr")
    c.add_argument("--models", default=DEFAULT, help=f"model folder (default {DEFAULT})")
    c.set_defaults(func=cmd_cloze)
