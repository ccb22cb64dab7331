"""Tang poems of the ``chinese-poetry`` package as five- and seven-character couplets.

The package's ``quantangshi/poet.tang.*.json`` files are lists of records
``{"author", "title", "paragraphs": [...], "id"}`` in traditional characters. A poem is kept
when, after its editorial notes are removed, it consists only of Chinese characters and line
punctuation (no □ or 囗, the collection's marks for lost characters), and every line has the
same length, 5 or 7, in an even number of lines. Its text is converted to simplified characters
with OpenCC (``t2s``), character by character where the phrase conversion would change a line's
length.

Each poem gives its couplets (lines 1-2, 3-4, ...), written ``上句，下句。`` one a line; a poem of
4 lines is a quatrain (绝句), of 8 a regulated verse (律诗). Poems are split into train / dev /
test by a hash of their id, so that all couplets of a poem land in one split; a dev or test
couplet that also occurs in train is dropped (the same couplet recurs in the collection).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zhpipe.corpus.text import HAN_CHARS, CorpusError

NOTE = re.compile(r"（[^（）]*）|〖[^〖〗]*〗")  # editorial notes: （一作「叉」）, 〖...〗
BRACKETS = str.maketrans("", "", "[]")  # [淅]: an editor's restored character, kept
MISSING = "囗"  # the collection's mark for a lost character (like □), not the radical
LINE_END = re.compile(r"[，。？！；：、]")
# Han characters: the basic block, extension A, compatibility ideographs, extensions B and on
HAN = re.compile(f"^[{HAN_CHARS}]+$")
FORMS = {4: "quatrain", 8: "regulated"}


@dataclass
class Poem:
    id: str
    lines: list[str]  # simplified characters, no punctuation

    @property
    def chars(self) -> int:
        return len(self.lines[0])

    @property
    def form(self) -> str:
        return FORMS.get(len(self.lines), "other")

    def couplets(self) -> list[str]:
        return [f"{a}，{b}。" for a, b in zip(self.lines[::2], self.lines[1::2], strict=True)]


@dataclass
class Extraction:
    poems: list[Poem] = field(default_factory=list)
    read: int = 0
    dropped: Counter = field(default_factory=Counter)


def tang_files(raw: Path) -> list[Path]:
    files = sorted(raw.glob("poet.tang.*.json"), key=lambda p: int(p.name.split(".")[2]))
    if not files:
        raise CorpusError(f"{raw}: no poet.tang.*.json files; run the download@poetry stage")
    return files


def records(path: Path) -> Iterator[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: not a JSON file of poems ({exc}); download@poetry again") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{path}: expected a JSON list of poem records")
    for i, rec in enumerate(data):
        if not isinstance(rec, dict) or not isinstance(rec.get("paragraphs"), list):
            raise CorpusError(f"{path}: record {i} has no 'paragraphs' list")
        yield rec


def split_lines(text: str) -> list[str] | None:
    """The lines of a poem's text (notes removed), or None when it has other characters."""
    text = NOTE.sub("", text).translate(BRACKETS)
    parts = LINE_END.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or not all(HAN.match(p) for p in parts) or MISSING in text:
        return None
    return parts


def extract(records_: Iterator[dict], converter) -> Extraction:
    """The five- and seven-character poems of ``records_`` (see the module's rules)."""
    out = Extraction()
    for rec in records_:
        out.read += 1
        lines = split_lines("".join(str(p) for p in rec["paragraphs"]))
        if lines is None:
            out.dropped["other_characters"] += 1
            continue
        n = len(lines[0])
        if n not in (5, 7) or any(len(x) != n for x in lines):
            out.dropped["not_5_or_7_throughout"] += 1
            continue
        if len(lines) % 2:
            out.dropped["odd_line_count"] += 1
            continue
        simple = converter.convert("|".join(lines)).split("|")
        if len(simple) != len(lines) or any(len(a) != len(b) for a, b in zip(simple, lines, strict=False)):
            simple = ["".join(converter.convert(c) for c in x) for x in lines]
        pid = str(rec.get("id") or hashlib.sha1("".join(lines).encode()).hexdigest())
        out.poems.append(Poem(pid, simple))
    return out


def split_of(pid: str, dev_fraction: float, test_fraction: float, seed: int) -> str:
    h = int.from_bytes(hashlib.sha256(f"{seed}:{pid}".encode()).digest()[:8], "big") / 2**64
    return "dev" if h < dev_fraction else "test" if h < dev_fraction + test_fraction else "train"


def couplet_splits(poems: list[Poem], chars: int, dev_fraction: float, test_fraction: float,
                   seed: int) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Couplets of the ``chars``-character poems per split, and per split how many couplets
    were dropped because train has them."""
    out: dict[str, list[str]] = {"train": [], "dev": [], "test": []}
    for poem in poems:
        if poem.chars == chars:
            out[split_of(poem.id, dev_fraction, test_fraction, seed)] += poem.couplets()
    seen = set(out["train"])
    dropped = {"train": 0}
    for split in ("dev", "test"):
        kept = [c for c in out[split] if c not in seen]
        dropped[split] = len(out[split]) - len(kept)
        out[split] = kept
    return out, dropped
