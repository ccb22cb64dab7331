"""One lock shared by both runners, so that Snakemake and DVC never build the same outputs at once.

DVC locks DVC and Snakemake locks Snakemake, but neither sees the other: a ``dvc repro`` and a
``snakemake`` started together raced over one folder. Both now take ``.zhpipe/run.lock``
(``flock``: the kernel drops it when the holder dies, even by SIGKILL, so it is never stale):

* Snakemake in its ``onstart`` (the whole run), and tells its jobs through ``$ZHPIPE_RUN_LOCK``
  that their runner holds it;
* every stage started otherwise (``dvc repro``, or by hand) in :func:`zhpipe.stagerun.run`, for
  its own duration.

The second runner stops at once with a message naming the holder (the file records it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from zhpipe.errors import UserError

LOCK_FILE = Path(".zhpipe") / "run.lock"
ENV = "ZHPIPE_RUN_LOCK"


class RunLocked(UserError):
    """Another run of the pipeline holds the lock."""


def hold(path: str | os.PathLike, holder: str, busy: Callable[[str], Exception]) -> int:
    """Take the ``flock`` on ``path`` for ``holder`` (a description, written into the file);
    return the file descriptor that holds it. If another process holds it, raise
    ``busy(what the file says of that holder)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        info = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise busy(info) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{holder}, pid {os.getpid()}, since {time.strftime('%H:%M:%S')}\n"
              .encode(), 0)
    return fd


def acquire(root: str | os.PathLike, holder: str) -> int:
    """Take the lock of the project at ``root`` for ``holder`` (a description); returns the
    file descriptor that holds it (closing it, or exiting, releases the lock)."""
    path = Path(root) / LOCK_FILE
    return hold(path, holder, lambda info: RunLocked(
        f"{path}: held by {info}. Another run of this pipeline is building its outputs; wait "
        "for it to finish, then run again"))


def release(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.close(fd)


@contextlib.contextmanager
def stage_lock(stage: str, root: str | os.PathLike = ".") -> Iterator[None]:
    """Hold the lock while a stage runs, unless its runner (Snakemake) already holds it."""
    if os.environ.get(ENV):
        yield
        return
    fd = acquire(root, f"stage {stage} (dvc repro or a direct run)")
    try:
        yield
    finally:
        release(fd)
