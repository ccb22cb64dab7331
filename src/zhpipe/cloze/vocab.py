"""The cloze reader's word vocabulary: frequent training words, pretrained words, and
per-passage slots for unknown words."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhpipe.cloze.data import BLANK, ClozeItem

PAD, UNK, BLANK_ID = 0, 1, 2
FIRST_OOV = 3


@dataclass
class WordVocab:
    """Word ids, plus the words never to be answered (see ``non_answer_words``)."""

    words: list[str]  # index i -> word, starting at FIRST_OOV + oov_slots
    oov_slots: int = 50
    exclude: frozenset[str] = frozenset()

    def __post_init__(self):
        self.offset = FIRST_OOV + self.oov_slots
        self.index = {w: i + self.offset for i, w in enumerate(self.words)}
        self.exclude = frozenset(self.exclude)

    def __len__(self) -> int:
        return self.offset + len(self.words)

    @classmethod
    def build(cls, items: Sequence[ClozeItem], min_count: int, max_size: int,
              oov_slots: int = 50, extra: Sequence[str] = (),
              exclude: Iterable[str] = ()) -> WordVocab:

        counts = Counter(w for it in items for w in it.tokens)
        words = [w for w, n in counts.most_common(max_size) if n >= min_count and w != BLANK]
        have = set(words)
        words += [w for w in extra if w not in have and w != BLANK]
        return cls(words, oov_slots, frozenset(exclude))

    def save(self, path) -> None:
        from zhpipe.fsutil import write_json

        write_json(path, {"words": self.words, "oov_slots": self.oov_slots,
                          "exclude": sorted(self.exclude)})

    @classmethod
    def load(cls, path) -> WordVocab:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(d["words"], d["oov_slots"], frozenset(d.get("exclude", ())))
