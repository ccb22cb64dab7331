"""A user's own corpus: the ``local`` datasets of catalogue.yaml, read from the user's disk.

An entry names a file or a folder (``path``, relative to the project or absolute, ``~`` allowed)
and, for a folder, which files in it (``glob``, default ``**/*.txt``). The stage
``ingest@<name>`` reads every file strictly (UTF-8, not empty, not binary: the same errors as the
public corpora, naming the file and line), normalises it like every corpus
(:func:`zhpipe.corpus.text.normalise`) and writes ``raw.txt`` (one line per input line, blank
lines dropped, long lines split at sentence punctuation) and ``MANIFEST.json`` (each file's
size, SHA-256 and lines), as a download records its files. DVC watches ``path`` itself, so a
changed file reruns what reads it.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from zhpipe.corpus.checksum import sha256_file
from zhpipe.corpus.text import CorpusError, clean_raw, read_lines, split_long
from zhpipe.fsutil import atomic_write, write_json
from zhpipe.params import Section

#: Bytes sniffed at the start of a file for NUL bytes (text never holds them; PDFs, images,
#: archives and Word files do).
SNIFF_BYTES = 8192


class LocalDataset(Section):
    """One ``local:`` entry of catalogue.yaml."""

    path: str = Field(min_length=1)
    glob: str = "**/*.txt"
    description: str = ""
    licence: str = ""


def resolve(entry: LocalDataset, root: Path, name: str) -> list[Path]:
    """The files an entry names, sorted; a clear error when there are none."""
    base = Path(os.path.expanduser(entry.path))
    base = base if base.is_absolute() else Path(root) / base
    if base.is_file():
        return [base]
    if base.is_dir():
        files = sorted(p for p in base.glob(entry.glob) if p.is_file())
        if not files:
            raise CorpusError(f"catalogue.yaml local.{name}: no file in {base} matches "
                              f"glob {entry.glob!r}; set `glob` (e.g. '**/*') or `path`")
        return files
    raise CorpusError(f"catalogue.yaml local.{name}: path {base} does not exist; point `path` "
                      "at a UTF-8 text file or a folder of them")


def check_text(path: Path) -> None:
    """Refuse a binary file before reading it as text."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise CorpusError(f"{path}: binary data (a NUL byte at offset {head.index(0)}), not "
                          "text; give plain UTF-8 text (convert PDF/Word files to .txt first)")


def ingest(files: list[Path], out: Path, max_line_chars: int,
           root: Path | None = None) -> dict:
    """Write ``out/raw.txt`` and ``out/MANIFEST.json`` from ``files``; return the metrics."""
    manifest, lines_out, chars = [], 0, 0
    with atomic_write(out / "raw.txt") as fh:
        for path in files:
            check_text(path)
            n_lines = n_chars = 0
            for _no, line in read_lines(path, keep_empty=False):
                text = clean_raw(line)
                if not text:
                    continue
                for piece in split_long(text, max_line_chars, segmented=False):
                    fh.write(piece + "\n")
                    lines_out += 1
                n_lines += 1
                n_chars += len(text)
            chars += n_chars
            shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) \
                else str(path)
            manifest.append({"file": shown, "bytes": path.stat().st_size,
                             "sha256": sha256_file(path), "lines": n_lines,
                             "characters": n_chars})
    if chars == 0:
        raise CorpusError(f"{', '.join(m['file'] for m in manifest)}: no text after cleaning")
    write_json(out / "MANIFEST.json", {"files": manifest})
    return {"files": len(manifest), "lines": lines_out, "characters": chars,
            "bytes": sum(m["bytes"] for m in manifest), "manifest": manifest}
