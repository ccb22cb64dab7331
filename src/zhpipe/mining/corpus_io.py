"""Streaming a corpus of text files in shards, with bounded memory whatever the line lengths.

Shard k of S holds the bytes of the files (taken as one stream) from k/S to (k+1)/S of their
total size. A shard starts after the first line break past its start offset, or, when there is
none within ``_SEEK_WINDOW`` bytes (a file without newlines), at the next UTF-8 character; a cut
in the middle of a sentence costs only the few n-grams that straddle it. Lines longer than
``max_chars`` are yielded in pieces, so a 100 MB file with no newline streams in small pieces.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from zhpipe.corpus.text import CorpusError

_SEEK_WINDOW = 1 << 16
_CHUNK = 1 << 20


def _start_offset(fh, offset: int) -> int:
    """First offset >= ``offset`` that begins a line (or, failing that, a UTF-8 character)."""
    if offset == 0:
        return 0
    fh.seek(offset - 1)
    window = fh.read(_SEEK_WINDOW + 1)
    nl = window.find(b"\n")
    if nl >= 0:
        return offset + nl
    for i, b in enumerate(window[1:]):
        if b & 0xC0 != 0x80:
            return offset + i
    return offset + len(window) - 1


def _read_range(path: Path, start: int, end: int, max_chars: int) -> Iterator[str]:
    """Lines of ``path`` whose first byte lies in [start, end), pieces of <= max_chars."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as fh:
        begin = _start_offset(fh, start)
        stop = _start_offset(fh, end) if end < os.path.getsize(path) else os.path.getsize(path)
        if begin >= stop:
            return
        fh.seek(begin)
        pos = begin
        buf = ""
        while pos < stop:
            raw = fh.read(min(_CHUNK, stop - pos))
            if not raw:
                break
            try:
                buf += decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{path}: not UTF-8 near byte offset {pos + exc.start}; convert "
                                  "the file to UTF-8") from None
            pos += len(raw)
            *lines, buf = buf.split("\n")
            for line in lines:
                yield from _pieces(line.rstrip("\r"), max_chars)
            if len(buf) > max_chars:
                yield from _pieces(buf[:max_chars], max_chars)
                buf = buf[max_chars:]
        try:
            buf += decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CorpusError(f"{path}: truncated UTF-8 character at the end") from None
        if buf:
            yield from _pieces(buf.rstrip("\r"), max_chars)


def _pieces(line: str, max_chars: int) -> Iterator[str]:
    if line.startswith("\ufeff"):
        line = line[1:]
    for i in range(0, max(len(line), 1), max_chars):
        yield line[i:i + max_chars]


def shard_lines(files: Sequence[str | os.PathLike], index: int, of: int,
                max_chars: int = 10_000) -> Iterator[str]:
    """Stream the lines of shard ``index`` (0-based) of ``of`` over ``files``."""
    if not 0 <= index < of:
        raise ValueError(f"shard index {index} is not in 0..{of - 1}")
    paths = [Path(f) for f in files]
    sizes = []
    for p in paths:
        if not p.is_file():
            raise CorpusError(f"{p}: input file not found")
        sizes.append(p.stat().st_size)
    total = sum(sizes)
    if total == 0:
        raise CorpusError(f"the corpus is empty: {', '.join(map(str, paths))}")
    lo, hi = total * index // of, total * (index + 1) // of
    base = 0
    for p, size in zip(paths, sizes, strict=True):
        a, b = max(lo - base, 0), min(hi - base, size)
        if a < b:
            yield from _read_range(p, a, b, max_chars)
        base += size


def batched(lines: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    """Group lines into lists of about ``batch_chars`` characters. If reading fails, the lines
    read so far are still yielded before the error propagates."""
    batch: list[str] = []
    size = 0
    try:
        for line in lines:
            batch.append(line)
            size += len(line)
            if size >= batch_chars:
                yield batch
                batch, size = [], 0
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def batches(files: Sequence[str | os.PathLike], batch_chars: int,
            max_chars: int = 10_000) -> Iterator[list[str]]:
    """The lines of ``files`` in batches of about ``batch_chars`` characters (streamed)."""
    return batched(shard_lines(files, 0, 1, max_chars), batch_chars)
