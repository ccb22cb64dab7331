"""Writing a prepared corpus file and its statistics (the file conventions are in
:mod:`zhpipe.corpus.prepare`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from zhpipe.corpus.text import (
    CorpusError,
)
from zhpipe.fsutil import atomic_write


class FileStats:
    """Counts for one prepared file, accumulated while it is written."""

    def __init__(self, corpus: str, name: str, kind: str):
        self.corpus, self.name, self.kind = corpus, name, kind
        self.sentences = 0
        self.words = 0
        self.characters = 0
        self.vocab: Counter[str] = Counter()

    def add(self, line: str) -> None:
        self.sentences += 1
        if self.kind in ("seg", "gold", "pos"):
            words = line.split(" ") if line else []
            if self.kind == "pos":
                words = [w.rpartition("/")[0] for w in words]
            self.words += len(words)
            self.characters += sum(map(len, words))
            self.vocab.update(words)
        else:
            text = line.replace("\t", "").replace(" ", "")
            self.characters += len(text)
            self.vocab.update(text)

    def row(self) -> dict:
        seg = self.kind in ("seg", "gold", "pos")
        return {"corpus": self.corpus, "file": self.name, "kind": self.kind,
                "sentences": self.sentences, "words": self.words if seg else None,
                "characters": self.characters, "vocabulary": len(self.vocab),
                "vocabulary_of": "words" if seg else "characters"}


def write_corpus(out_dir: Path, corpus: str, name: str, kind: str, lines: Iterable[str],
                 allow_empty: bool = False) -> dict:
    stats = FileStats(corpus, name, kind)
    with atomic_write(out_dir / name) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
            stats.add(line)
    if stats.sentences == 0 and not allow_empty:
        raise CorpusError(f"{out_dir / name}: no sentences left after preparation")
    return stats.row()
