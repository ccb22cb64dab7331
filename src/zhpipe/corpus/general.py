"""Preparing general text: the Chinese Wikipedia dump and the Tang poems."""

from __future__ import annotations

from pathlib import Path

from zhpipe.corpus.options import PoetryOptions, WikiOptions
from zhpipe.corpus.output import write_corpus
from zhpipe.corpus.text import (
    split_long,
)


def prepare_zhwiki(raw: Path, out: Path, opts: WikiOptions, max_chars: int) -> list[dict]:
    """Article text of the Wikipedia dump, simplified, one sentence per line (``raw.txt``). A
    dataset disabled in the download catalogue yields an empty ``raw.txt`` (documented)."""
    from zhpipe.corpus.wiki import extract

    dumps = sorted(raw.glob("*.xml.bz2")) + sorted(raw.glob("*.xml"))
    if not dumps:
        (out / "raw.txt").write_text("", encoding="utf-8")
        return [{"corpus": "zhwiki", "file": "raw.txt", "kind": "raw", "sentences": 0,
                 "words": None, "characters": 0, "vocabulary": 0,
                 "vocabulary_of": "characters"}]
    lines = (p for path in dumps for line in extract(path, opts.max_articles, opts.min_chars)
             for p in split_long(line, max_chars, segmented=False))
    return [write_corpus(out, "zhwiki", "raw.txt", "raw", lines)]


def prepare_poetry(raw: Path, out: Path, opts: PoetryOptions, max_chars: int) -> list[dict]:
    """Tang poems (``tang/poet.tang.*.json``) as couplets ``couplets{5,7}.{train,dev,test}.txt``
    (one ``上句，下句。`` a line) and the quatrains and regulated verses of the train split,
    ``quatrains{5,7}.txt`` and ``regulated{5,7}.txt`` (a poem a line); see :mod:`zhpipe.corpus.poetry`."""
    import opencc

    from zhpipe.corpus import poetry

    converter = opencc.OpenCC("t2s")
    files = poetry.tang_files(raw / "tang")
    ex = poetry.extract((r for f in files for r in poetry.records(f)), converter)
    rows = []
    for n in (5, 7):
        splits, dropped = poetry.couplet_splits(ex.poems, n, opts.dev_fraction,
                                                opts.test_fraction, opts.seed)
        for split, lines in splits.items():
            row = write_corpus(out, "poetry", f"couplets{n}.{split}.txt", "raw", lines)
            if split == "train":
                poems = [p for p in ex.poems if p.chars == n]
                row.update(poems=len(poems), poems_read=ex.read, **{
                    f"poems_{form}": sum(p.form == form for p in poems)
                    for form in ("quatrain", "regulated", "other")},
                    **{f"dropped_{k}": v for k, v in sorted(ex.dropped.items())})
            else:
                row["dropped_in_train"] = dropped[split]
            rows.append(row)
        for form in ("quatrain", "regulated"):
            chosen = ["".join(p.couplets()) for p in ex.poems if p.chars == n and p.form == form
                      and poetry.split_of(p.id, opts.dev_fraction, opts.test_fraction,
                                          opts.seed) == "train"]
            name = "quatrains" if form == "quatrain" else "regulated"
            rows.append(write_corpus(out, "poetry", f"{name}{n}.txt", "raw", chosen,
                                     allow_empty=True))  # for reading; no stage needs them
    return rows
