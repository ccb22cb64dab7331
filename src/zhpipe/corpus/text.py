"""Reading corpus text strictly, and the one character normalisation used for every corpus.

Normalisation (``normalise``) maps, one character to one character, so lengths never change:

* full-width digits ``０-９`` and Latin letters ``Ａ-Ｚ ａ-ｚ`` to their ASCII forms, and the
  full-width full stop ``．`` (used in decimals such as ``３．５``) to ``.``. The PKU test set
  mostly uses ASCII digits while the 1998 corpus and the MSR test set use full-width ones; one
  form for all inputs keeps a model's vocabulary and the scorer consistent;
* the ideographic space U+3000 and other Unicode spaces to an ASCII space (whitespace is then
  handled by the reader: segmented text separates words by single spaces, raw text has none).

Chinese punctuation (``，。：；（）％／－`` and so on) stays full-width: the gold standards of
SIGHAN 2005 and CMRC 2017 use it. Case is kept.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from zhpipe.errors import UserError

#: The Han (CJK unified ideograph) ranges: basic, extension A, compatibility, the SIP planes.
#: The one definition: regular expressions use it as a character class, :func:`is_han` per
#: character.
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN = re.compile(f"[{HAN_CHARS}]")


def is_han(ch: str) -> bool:
    """True for one Han character (:data:`HAN_CHARS`)."""
    return _HAN.fullmatch(ch) is not None


_TABLE = {0xFF0E: "."}
_TABLE.update({c: chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)})  # digits
_TABLE.update({c: chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})  # A-Z
_TABLE.update({c: chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})  # a-z
_TABLE.update({c: " " for c in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2009, 0x200A, 0x202F, 0x205F)})
_TABLE.update({0xFEFF: None, 0x200B: None})  # BOM / zero-width space inside a line
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Apply the project's character normalisation (see the module docstring)."""
    return text.translate(_TABLE)


class CorpusError(UserError, ValueError):
    """A corpus file is unreadable: not UTF-8, empty, or malformed. The message names the file."""


def read_lines(path: str | os.PathLike, *, keep_empty: bool = True) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` from a UTF-8 file, streaming; CR/LF and a BOM are removed.

    Raises CorpusError naming the file and line on bytes that are not UTF-8, and when the file
    holds no text at all.
    """
    path = Path(path)
    seen_text = False
    with open(path, "rb") as fh:
        for no, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    f"{path}:{no}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                    f"{exc.start + 1}); convert the file to UTF-8, e.g. `iconv -f GB18030 -t "
                    f"UTF-8`") from None
            if no == 1 and line.startswith("\ufeff"):
                line = line[1:]
            line = line.rstrip("\r\n")
            if line.strip():
                seen_text = True
            elif not keep_empty:
                continue
            yield no, line
    if not seen_text:
        raise CorpusError(f"{path}: the file is empty (no text); check the download or the mirror")


def clean_raw(line: str) -> str:
    """Normalise a raw (unsegmented) line: no whitespace left inside."""
    return _SPACES.sub("", normalise(line))


def clean_segmented(line: str) -> str:
    """Normalise a segmented line: words separated by exactly one space."""
    return " ".join(normalise(line).split())


_SENTENCE_END = "。！？；!?;"


def split_long(line: str, max_chars: int, segmented: bool) -> list[str]:
    """Split a line longer than ``max_chars`` characters (spaces not counted).

    Cuts after sentence-final punctuation first; a piece still too long is cut at the last word
    boundary (segmented text) or at ``max_chars`` (raw text). Words are never broken.
    """
    def size(s: str) -> int:
        return len(s) - s.count(" ") if segmented else len(s)

    if size(line) <= max_chars:
        return [line]
    units = line.split(" ") if segmented else list(line)
    joiner = " " if segmented else ""
    pieces: list[str] = []
    cur: list[str] = []
    cur_len = 0
    for u in units:
        if cur and cur_len + len(u) > max_chars:
            pieces.append(joiner.join(cur))
            cur, cur_len = [], 0
        cur.append(u)
        cur_len += len(u)
        if u and u[-1] in _SENTENCE_END and cur_len >= max_chars // 4:
            pieces.append(joiner.join(cur))
            cur, cur_len = [], 0
    if cur:
        pieces.append(joiner.join(cur))
    return pieces
