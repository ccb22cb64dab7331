"""Safe extraction of selected members from zip and tar archives.

An archive is refused as a whole when any member has an absolute path or a ``..`` component; a
member that is asked for must be a regular file (no symbolic or hard links, devices or FIFOs);
the bytes written are capped. Members are streamed into files that zhpipe names itself, so
nothing in the archive decides where anything is written.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO

from zhpipe.errors import UserError
from zhpipe.fsutil import atomic_write

_CHUNK = 1 << 20


class UnsafeArchive(UserError, ValueError):
    pass


class CorruptArchive(UserError, ValueError):
    pass


def _check_name(archive: Path, name: str) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    drive = bool(p.parts) and len(p.parts[0]) == 2 and p.parts[0][1] == ":"  # C:evil
    if p.is_absolute() or drive or ".." in p.parts:
        raise UnsafeArchive(f"{archive}: member {name!r} has an absolute path or '..'; refusing "
                            "the whole archive")


class _Member:
    def __init__(self, name: str, size: int, regular: bool, kind: str, opener):
        self.name, self.size, self.regular, self.kind, self.open = name, size, regular, kind, opener


def _members(archive: Path) -> Iterator[_Member]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                ftype = stat.S_IFMT(info.external_attr >> 16)  # 0 when no Unix mode is stored
                if info.is_dir():
                    kind = "directory"
                elif ftype == stat.S_IFLNK:
                    kind = "symbolic link"
                elif ftype in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
                    kind = "special file"
                else:
                    kind = "file"
                yield _Member(info.filename, info.file_size, kind == "file", kind,
                              lambda info=info, zf=zf: zf.open(info))
        return
    try:
        tf = tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise CorruptArchive(f"{archive}: not a readable zip or tar archive ({exc})") from exc
    with tf:
        try:
            for info in tf:
                if info.isfile():
                    kind = "file"
                elif info.isdir():
                    kind = "directory"
                elif info.issym():
                    kind = "symbolic link"
                elif info.islnk():
                    kind = "hard link"
                else:
                    kind = "device or special file"
                yield _Member(info.name, info.size, info.isfile(), kind,
                              lambda info=info, tf=tf: tf.extractfile(info))
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise CorruptArchive(f"{archive}: archive is corrupt or truncated ({exc})") from exc


def _copy_capped(src: IO[bytes], dst: IO[bytes], budget: int, what: str) -> int:
    n = 0
    while chunk := src.read(_CHUNK):
        n += len(chunk)
        if n > budget:
            raise UnsafeArchive(f"{what}: extraction exceeds the size cap (max_extract_bytes)")
        dst.write(chunk)
    return n


def list_members(archive: str | os.PathLike) -> list[str]:
    archive = Path(archive)
    names = []
    for m in _members(archive):
        _check_name(archive, m.name)
        names.append(m.name)
    return names


def extract_members(archive: str | os.PathLike, wanted: Mapping[str, str | os.PathLike], *,
                    max_bytes: int, required: set[str] | None = None) -> dict[str, Path]:
    """Extract ``wanted`` (member name -> destination path) from ``archive``.

    Every member name in the archive is checked (absolute paths or ``..`` refuse the archive);
    wanted members must be regular files; at most ``max_bytes`` are written in all. Members in
    ``required`` (default: all wanted) that the archive lacks raise CorruptArchive.
    Returns the extracted ones.
    """
    archive = Path(archive)
    required = set(wanted) if required is None else required
    budget = max_bytes
    done: dict[str, Path] = {}
    try:
        list_members(archive)  # every name is checked before anything is written
        for m in _members(archive):
            if m.name not in wanted or m.name in done:
                continue
            if not m.regular:
                raise UnsafeArchive(f"{archive}: member {m.name!r} is a {m.kind}, not a regular "
                                    "file; refusing to extract it")
            if m.size > budget:
                raise UnsafeArchive(f"{archive}: member {m.name!r} ({m.size} bytes) exceeds the "
                                    "size cap (max_extract_bytes)")
            dest = Path(wanted[m.name])
            with m.open() as src, atomic_write(dest, "wb") as dst:
                budget -= _copy_capped(src, dst, budget, f"{archive}:{m.name}")
            done[m.name] = dest
    except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise CorruptArchive(f"{archive}: archive is corrupt or truncated ({exc})") from exc
    missing = sorted(required - set(done))
    if missing:
        raise CorruptArchive(f"{archive}: missing member(s) {', '.join(missing)}")
    return done
