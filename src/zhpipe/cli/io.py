"""What every ``zhpipe`` command does the same way with its input and output.

* Text comes in as bytes and is decoded strictly: a line of standard input or an argument that
  is not UTF-8 is refused with its line number or position, never echoed back as garbage (the
  C.UTF-8 locale decodes both with ``surrogateescape``, which lets anything through).
* An output path is refused when it names one of the command's inputs or a folder.
* A model or vector file that exists but cannot be read gives one line naming the file and the
  stage that makes it, not a traceback.
"""

from __future__ import annotations

import os
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from zhpipe.errors import UserError

T = TypeVar("T")


def stdin_lines() -> Iterator[str]:
    """Lines of standard input, decoded one by one, so that a line that is not UTF-8 is named
    after every line before it was read."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (tests, embedding): already decoded
        yield from (line.rstrip("\r\n") for line in sys.stdin)
        return
    for line_no, raw in enumerate(stream, 1):
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise UserError(f"standard input line {line_no} is not UTF-8 ({exc.reason}); "
                            "convert it first, e.g. `iconv -f GB18030 -t UTF-8`") from None


def argument_text(value: str, position: int) -> str:
    """A command-line argument as text; bytes that were not UTF-8 (decoded by Python as lone
    surrogates) are refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"argument {position} is not UTF-8 text; convert it first, e.g. "
                        "`iconv -f GB18030 -t UTF-8`") from None
    return value


def check_output(out: str | os.PathLike, inputs: Iterable[str | os.PathLike | None],
                 option: str = "--out") -> Path:
    """Refuse an output path that is a folder or one of ``inputs`` (it would be overwritten)."""
    out = Path(out)
    if out.is_dir():
        raise UserError(f"{option} {out}: is a folder; name a file")
    for inp in inputs:
        if inp is None:
            continue
        inp = Path(inp)
        same = out.exists() and inp.exists() and os.path.samefile(out, inp)
        if same or out.resolve() == inp.resolve():
            raise UserError(f"{option} {out}: that is an input of this command; it would be "
                            "overwritten. Name another file")
    return out


def load_artefact(path: str | os.PathLike, stage: str, load: Callable[[], T]) -> T:
    """``load()`` a model or vector file made by ``stage``; every failure becomes one line."""
    path = Path(path)
    hint = f"run the {stage} stage (snakemake --cores all {stage}, or dvc repro {stage})"
    if not path.exists():
        raise UserError(f"{path}: not found; {hint}")
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"{path}: empty file; rebuild it: {hint} with -f / --force")
    if path.suffix in (".keras", ".npz") and path.is_file() and not zipfile.is_zipfile(path):
        # Keras says "File not found" for a file that is there but not a zip
        raise UserError(f"{path}: not a complete {path.suffix} file (truncated or corrupt); "
                        f"rebuild it: {hint} with -f / --force")
    try:
        return load()
    except UserError:
        raise
    except FileNotFoundError as exc:
        raise UserError(f"{exc.filename or path}: not found (needed with {path}); {hint}"
                        ) from None
    except Exception as exc:  # a truncated zip, a flipped bit, a bad JSON: all mean rebuild
        raise UserError(f"{path}: cannot be read ({type(exc).__name__}: {str(exc)[:200]}); "
                        f"rebuild it: {hint} with -f / --force") from None
