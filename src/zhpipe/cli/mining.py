"""``zhpipe mine`` and ``zhpipe segment``: the word miner and segmenter on a user's own files."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from zhpipe.corpus.text import CorpusError
from zhpipe.errors import UserError


def _mining_params(args):
    from zhpipe.mining.params import MiningParams
    from zhpipe.params import read_params, validate

    section = {}
    if args.params and Path(args.params).exists():
        known = set(MiningParams.model_fields)
        section = {k: v for k, v in (read_params(args.params).get("mine_words") or {}).items()
                   if k in known}
    for key in ("max_order", "min_count", "min_word_count", "max_word_len", "prune_threshold"):
        value = getattr(args, key)
        if value is not None:
            section[key] = value
    if args.max_order is not None and "min_cohesion" in section and \
            len(section["min_cohesion"]) != args.max_order - 1:
        base = section["min_cohesion"]
        section["min_cohesion"] = [base[min(i, len(base) - 1)] + 1.6 * max(0, i - len(base) + 1)
                                   for i in range(args.max_order - 1)]
    return validate(MiningParams, section, "mine_words", args.params or "defaults")


def cmd_mine(args) -> int:
    from tqdm.auto import tqdm

    from zhpipe.cli.io import check_output
    from zhpipe.mining.corpus_io import batches
    from zhpipe.mining.discover import mine_steps
    from zhpipe.mining.lexicon_io import show, write_lexicon

    p = _mining_params(args)
    files = [Path(f) for f in args.corpus]
    check_output(args.out, [*files, *(args.background or [])])
    total = sum(f.stat().st_size for f in files if f.is_file())
    step = {"name": "counting"}

    def passes():
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=step["name"], leave=False,
                   disable=args.quiet)
        for batch in batches(files, args.batch_chars):
            bar.update(sum(len(x.encode("utf-8")) + 1 for x in batch))
            yield batch
        bar.close()

    lex = mine_steps(passes, p, on_step=lambda name: step.update(name=name)).lexicon
    write_lexicon(lex, args.out)
    print(f"{len(lex):,} words ({lex.stats['multi_char_words']:,} of 2+ characters) from "
          f"{lex.stats['characters']:,} characters -> {args.out}", file=sys.stderr)
    if args.background:
        from zhpipe.mining.domain import domain_terms

        seg = lex.segmenter()
        target = Counter()
        back = Counter()
        step["name"] = "target counts"
        for batch in passes():
            for words in seg.segment_lines(batch, restore=False):
                target.update(w for w in words if len(w) > 1)
        step["name"] = "background counts"
        for batch in batches(args.background, args.batch_chars):
            for words in seg.segment_lines(batch, restore=False):
                back.update(w for w in words if len(w) > 1)
        rows = domain_terms(target, back, args.min_domain_count)
        out = Path(args.out).with_name(Path(args.out).stem + ".domain.tsv")
        from zhpipe.fsutil import atomic_write

        with atomic_write(out) as fh:
            fh.write("word\ttarget_count\tbackground_count\tlog_ratio\n")
            for w, ct, cb, score in rows:
                fh.write(f"{show(w)}\t{ct}\t{cb}\t{score:.4f}\n")
        print(f"{len(rows):,} domain terms ranked -> {out}", file=sys.stderr)
    return 0


def stdin_batches(batch_chars: int):
    from zhpipe.cli.io import stdin_lines
    from zhpipe.mining.corpus_io import batched

    return batched(stdin_lines(), batch_chars)


def _segmenter(args):
    if args.model == "lexicon":
        from zhpipe.mining.lexicon_io import read_lexicon_counts
        from zhpipe.mining.segmenter import UnigramSegmenter

        lexicon = Path(args.lexicon)
        if not lexicon.exists():
            raise CorpusError(f"{lexicon}: no lexicon; run the pipeline (mine_words) or "
                              "`zhpipe mine`")
        from zhpipe.mining.conventions import with_conventions

        counts = read_lexicon_counts(lexicon)
        if getattr(args, "words", None):
            counts = with_words(counts, _words(args.words))
        return with_conventions(UnigramSegmenter.from_counts(counts).segment_lines, counts,
                                args.convention or [])
    from zhpipe.tagging.data import bmes_to_words

    tagger = _tagger(args.crf_dir, "seg")
    if getattr(args, "words", None):
        words = _words(args.words)
        tagger = tagger.with_words(words).keeping(words)  # flags, and decoding keeps them whole

    def segment(lines):
        return [bmes_to_words(x, t) for x, t in zip(lines, tagger.tag(lines), strict=True)]

    return segment


def _words(path: str) -> list[str]:
    """The words of a ``--words`` file: one per line, or a lexicon/terms TSV (first column)."""
    from zhpipe.mining.lexicon_io import read_lexicon_counts

    if not Path(path).is_file():
        raise CorpusError(f"{path}: no such words file (e.g. data/own/<name>/field_words.txt, "
                          "written by the own_corpus stage)")
    return list(read_lexicon_counts(path))


def with_words(counts: dict[str, float], words: list[str]) -> dict[str, float]:
    """A lexicon with ``words`` added, each at least as frequent as the 90th percentile of its
    multi-character words: frequent enough that the segmenter keeps them whole."""
    import numpy as np

    multi = [c for w, c in counts.items() if len(w) > 1]
    floor = float(np.percentile(multi, 90)) if multi else 1.0
    return {**counts, **{w: max(counts.get(w, 0.0), floor) for w in words}}


def _tagger(folder: str, name: str):
    from zhpipe.cli.io import load_artefact
    from zhpipe.tagging.tagger import Tagger

    stage = "train_seg" if name == "seg" else "train_ner"
    return load_artefact(Path(folder) / f"{name}.keras", stage, lambda: Tagger.load(folder, name))


#: A longer input line is cut (after sentence punctuation where it can be) into pieces of at most
#: this many characters, which are segmented or tagged in batches of ``--batch-chars`` and written
#: out as they come: memory stays bounded on a line of any length (one 50 MB line took 3.6 to
#: 10.7 GB before). Words and names do not cross 。！？；，、, where the cuts fall.
PIECE_CHARS = 4096


def _pieces(batch: list[str], batch_chars: int):
    """``(line index, piece)`` groups of about ``batch_chars`` characters, in order."""
    from zhpipe.tagging.data import split_for_model

    group, size = [], 0
    for i, line in enumerate(batch):
        for piece in split_for_model(line, PIECE_CHARS) if line else [line]:
            group.append((i, piece))
            size += len(piece)
            if size >= batch_chars:
                yield group
                group, size = [], 0
    if group:
        yield group


def _filter_stdin(batch_chars: int, load, piece_out, line_out) -> int:
    """stdin -> stdout, one output line per input line. ``load()`` gives a function over a list
    of texts; ``piece_out(offset, piece, result)`` writes one piece's result (``offset``: where
    the piece starts in its line) and ``line_out(line)`` ends the line's output."""
    try:
        fn = load()
        for batch in stdin_batches(batch_chars):
            offset = 0
            for group in _pieces(batch, batch_chars):
                for (i, piece), result in zip(group, fn([p for _, p in group]), strict=True):
                    piece_out(offset, piece, result)
                    offset += len(piece)
                    if offset == len(batch[i]):
                        line_out(batch[i])
                        offset = 0
                sys.stdout.flush()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_segment(args) -> int:
    if args.convention and args.model != "lexicon":
        print("zhpipe segment: error: --convention applies to --model lexicon only",
              file=sys.stderr)
        return 2
    def piece_out(offset, piece, words):
        sys.stdout.write((" " if offset and words else "") + " ".join(words))

    return _filter_stdin(args.batch_chars, lambda: _segmenter(args), piece_out,
                         lambda line: sys.stdout.write("\n"))


def cmd_ner(args) -> int:
    import json

    from zhpipe.evaluation.entities import bio_entities

    entities = []

    def piece_out(offset, piece, tags):
        entities.extend({"type": typ, "start": offset + a, "end": offset + b, "text": piece[a:b]}
                        for typ, a, b in bio_entities(tags))

    def line_out(line):
        sys.stdout.write(json.dumps({"text": line, "entities": entities}, ensure_ascii=False)
                         + "\n")
        entities.clear()

    return _filter_stdin(args.batch_chars, lambda: _tagger(args.crf_dir, "ner").tag, piece_out,
                         line_out)


def cmd_demo_corpus(args) -> int:
    from zhpipe.corpus.demo import PLANTED, field_lines
    from zhpipe.fsutil import write_lines

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = write_lines(out, field_lines(args.lines, args.seed))
    print(f"{n:,} lines -> {out} (planted terms: {' '.join(PLANTED)})", file=sys.stderr)
    return 0


def add_parsers(sub) -> None:
    m = sub.add_parser("mine", help="mine a lexicon from your own raw text files")
    m.add_argument("corpus", nargs="+", help="UTF-8 text files (one or more)")
    m.add_argument("--out", default="lexicon.tsv", help="lexicon to write (default lexicon.tsv)")
    m.add_argument("--background", nargs="+", help="general-domain files: also rank the corpus' "
                   "characteristic words (writes <out>.domain.tsv)")
    m.add_argument("--min-domain-count", type=int, default=5)
    for key, typ in (("max_order", int), ("min_count", int), ("min_word_count", int),
                     ("max_word_len", int), ("prune_threshold", float)):
        m.add_argument("--" + key.replace("_", "-"), dest=key, type=typ,
                       help="override mine_words." + key)
    m.add_argument("--batch-chars", type=int, default=4_000_000)
    m.add_argument("--quiet", action="store_true", help="no progress bars")
    m.set_defaults(func=cmd_mine)
    s = sub.add_parser("segment", help="segment stdin lines (words separated by one space)")
    s.add_argument("--model", default="lexicon", choices=["lexicon", "crf"],
                   help="the mined lexicon (unsupervised) or the CRF tagger (default: lexicon)")
    s.add_argument("--lexicon", default="data/mine_words/lexicon.tsv",
                   help="lexicon.tsv or a 'word count' file (default: the pipeline's)")
    s.add_argument("--models", "--crf-dir", dest="crf_dir", default="data/seg",
                   help="the train_seg stage's folder (default data/seg)")
    s.add_argument("--convention", action="append", choices=["numeral_classifier"],
                   help="a benchmark convention on top of the mined segmentation (lexicon "
                   "model): numeral_classifier writes 一 年, 三 个 as two words, as PKU does")
    s.add_argument("--words", metavar="FILE",
                   help="extra words to keep whole, one per line (e.g. a field's terms: "
                   "data/own/<name>/field_words.txt); the CRF reads them as lexicon flags and "
                   "its decoding keeps every occurrence whole")
    s.add_argument("--batch-chars", type=int, default=200_000)
    s.set_defaults(func=cmd_segment)
    dc = sub.add_parser("demo-corpus", help="write a made-up field corpus with planted terms "
                        "(to try the own-corpus path: README 'Your own corpus')")
    dc.add_argument("--out", required=True, help="text file to write")
    dc.add_argument("--lines", type=int, default=3000)
    dc.add_argument("--seed", type=int, default=7)
    dc.set_defaults(func=cmd_demo_corpus)
    n = sub.add_parser("ner", help="names in stdin lines: JSON lines with typed entity offsets")
    n.add_argument("--models", "--crf-dir", dest="crf_dir", default="data/ner",
                   help="the train_ner stage's folder (default data/ner)")
    n.add_argument("--batch-chars", type=int, default=200_000)
    n.set_defaults(func=cmd_ner)


__all__ = ["add_parsers", "CorpusError"]
