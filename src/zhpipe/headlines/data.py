"""(headline, text) pairs: xwlb's and LCSTS's prepared ``headline<TAB>text`` files, or a user's
own in the same format."""

from __future__ import annotations

import os
from pathlib import Path

from zhpipe.corpus.text import CorpusError


def read_pairs(path: str | os.PathLike) -> list[tuple[str, str]]:
    """``headline<TAB>text`` lines -> pairs. A line without exactly one tab, or with an empty
    side, stops with the file and line number."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: not found; run the prepare stage of its corpus first")
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != 2 or not cols[0] or not cols[1]:
                raise CorpusError(f"{path}:{no}: expected 'headline<TAB>text', both non-empty")
            pairs.append((cols[0], cols[1]))
    if not pairs:
        raise CorpusError(f"{path}: no pairs")
    return pairs
