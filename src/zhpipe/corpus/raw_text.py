"""The pipeline's raw-text corpus, made of parts: the unsegmented text that word mining, Word2Vec
and the cloze reader's vectors and generated items learn from.

``raw_text.parts`` (params.yaml) maps a dataset to a character budget (``null``: all of it):

* ``pd1998``: the People's Daily January 1998 text (``data/prepared/pd1998/raw.txt``; its dev
  split is inside, the split the mining settings are chosen on);
* ``xwlb``: Xinwen Lianbo news text before the headline dev months (``data/prepared/xwlb/raw.txt``:
  no headline dev or test text);
* ``zhwiki``: the Wikipedia dump's article text, when downloaded (empty when disabled);
* ``local:<name>``: a corpus of your own (``ingest@<name>``: ``data/prepared/own/<name>/raw.txt``).

A part with a budget below its size keeps every k-th line (k = its characters / the budget), so
that the slice spans the whole source (all the years of the news, not its first months), and
stops at the budget. The stage writes one file a part, ``<part>.txt`` (``local:x`` ->
``local-x.txt``), and ``parts.json``, the manifest that readers follow (:func:`expand`): the
order of the parts, each one's characters, lines, source and SHA-256.

``raw_text.mining`` gives the mining corpus its own budgets (``mining/parts.json``; a part with
the same budget as above is read from the same file): word mining learns its lexicon from it and
is scored on the 1998 dev split, where more recent news can lower F1 (new words, drift), while
the lexicon still segments all the text for Word2Vec. ``null``: the same parts.

No test set's text is a part: the SIGHAN test text that word mining reads (transductively) is
added by the mining stages themselves, and say so.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import Field, field_validator

from zhpipe.corpus.checksum import sha256_file
from zhpipe.corpus.text import CorpusError
from zhpipe.fsutil import atomic_write, write_json
from zhpipe.params import Section

MANIFEST = "parts.json"
DATASETS = ("pd1998", "xwlb", "zhwiki")
_LOCAL = re.compile(r"^local:([A-Za-z0-9_.-]+)$")


class RawTextParams(Section):
    """``raw_text``: the parts of the raw-text corpus and their character budgets."""

    parts: dict[str, int | None] = Field(
        default_factory=lambda: {"pd1998": None, "xwlb": 2_000_000})
    mining: dict[str, int | None] | None = None

    @field_validator("parts", "mining")
    @classmethod
    def _parts(cls, v: dict[str, int | None] | None) -> dict[str, int | None] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("list at least one part (e.g. pd1998: null)")
        for name, budget in v.items():
            if name not in DATASETS and not _LOCAL.match(name):
                raise ValueError(f"unknown part {name!r}: use one of {', '.join(DATASETS)} or "
                                 "local:<name> (a catalogue.yaml local dataset)")
            if budget is not None and budget < 1:
                raise ValueError(f"{name}: the budget is a number of characters >= 1, or null "
                                 "for all of it")
        return v


def source_of(part: str, prepared: Path) -> Path:
    """Where a part's prepared text is."""
    m = _LOCAL.match(part)
    return prepared / "own" / m.group(1) / "raw.txt" if m else prepared / part / "raw.txt"


def file_name(part: str) -> str:
    return part.replace(":", "-") + ".txt"


def _lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                yield line


def _size(path: Path) -> int:
    return sum(len(line) for line in _lines(path))


def sliced(path: Path, budget: int | None, total: int) -> Iterator[str]:
    """The lines of ``path``: all of them, or every k-th (spread over the file) up to
    ``budget`` characters (a line that would pass it is skipped)."""
    if budget is None or budget >= total:
        yield from _lines(path)
        return
    every = total / budget  # keep line i when (i + 1) / every passes a whole number
    taken = 0
    for i, line in enumerate(_lines(path)):
        if math.floor((i + 1) / every) > math.floor(i / every):
            if taken + len(line) > budget:
                continue
            taken += len(line)
            yield line


def _write_parts(parts: dict[str, int | None], prepared: Path, out: Path,
                 same: dict[str, int | None] | None = None) -> list[dict]:
    """Write each part's slice to ``out``, or point at the parent folder's file when ``same``
    (the parent's budgets) has this part with the same budget; the manifest rows."""
    rows = []
    out.mkdir(parents=True, exist_ok=True)
    for part, budget in parts.items():
        src = source_of(part, prepared)
        if not src.is_file():
            hint = (f"run ingest@{part[6:]} first and list {src} as a dep of raw_text in dvc.yaml"
                    if part.startswith("local:") else f"run prepare@{part} first" + (
                        f" and list {src} as a dep of raw_text in dvc.yaml"
                        if part == "zhwiki" else ""))
            raise CorpusError(f"params.yaml raw_text: part {part}: {src} not found; {hint}, or "
                              "remove the part")
        name = file_name(part)
        if same is not None and part in same and same[part] == budget:
            name = "../" + name
        else:
            with atomic_write(out / name) as fh:
                for line in sliced(src, budget, _size(src)):
                    fh.write(line + "\n")
        chars = lines = 0
        for line in _lines(out / name):
            chars += len(line)
            lines += 1
        total = _size(src)
        rows.append({"part": part, "file": name, "source": src.as_posix(), "budget": budget,
                     "characters": chars, "lines": lines, "source_characters": total,
                     "share": round(chars / total, 4) if total else 0,
                     "sha256": sha256_file(out / name)})
    if sum(r["characters"] for r in rows) == 0:
        raise CorpusError("params.yaml raw_text: every part is empty ("
                          + ", ".join(r["source"] for r in rows) + "); add a part with text")
    write_json(out / MANIFEST, rows)
    return rows


def build(p: RawTextParams, prepared: Path, out: Path) -> dict:
    """Write ``out/<part>.txt`` for every part, ``out/parts.json``, and the mining corpus's
    ``out/mining/parts.json`` (and its own slices); return the metrics."""
    rows = _write_parts(p.parts, prepared, out)
    mining = _write_parts(p.mining if p.mining is not None else p.parts, prepared,
                          out / "mining", same=p.parts)

    def summary(rs):
        return {r["part"]: {k: r[k] for k in ("characters", "lines", "source_characters",
                                              "share", "budget")} for r in rs}

    return {"characters": sum(r["characters"] for r in rows), "parts": summary(rows),
            "mining": {"characters": sum(r["characters"] for r in mining),
                       "parts": summary(mining)}}


def parts(folder: str | os.PathLike) -> list[dict]:
    """The manifest of a raw_text folder (a clear error when it is not one)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise CorpusError(f"{folder}: no {MANIFEST}; it is not a raw_text folder (run the "
                          "raw_text stage)")
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def expand(inputs: Sequence[str | os.PathLike], skip: Sequence[str] = ()) -> list[str]:
    """Input paths with every raw_text folder replaced by its part files, in manifest order
    (``skip``: part names left out); plain files stay as they are."""
    out: list[str] = []
    for item in inputs:
        if Path(item).is_dir():
            folder = Path(item)
            out += [os.path.normpath(folder / r["file"]) for r in parts(folder)
                    if r["part"] not in skip]
        else:
            out.append(str(item))
    return out
