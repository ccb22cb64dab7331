"""Snakemake keeps a stage's last good outputs through a failed run, timestamps included.

Without a flag, Snakemake deletes a job's outputs before running it, so a failed run loses the
last good ones: the stage's own atomic swap (``zhpipe.fsutil``) never gets the chance to keep
them. The ``update()`` flag keeps them and restores a backup when the job fails, but the backup
and restore use ``shutil.copy`` for files, which stamps them with the restore's time: a code
edit made before the failed run then looks older than the outputs, and the stage no longer
reruns (measured on the real pipeline; see issue 18's closing note). Worse, after the failure
Snakemake records the failed job's metadata (its input checksums and params) as if it had
finished, so even with the old timestamps the edit no longer counts as a change.

:func:`install` replaces the backup and restore with moves and hard links, which keep every
timestamp and cost no copy: the backup is a hard-linked twin of the output (a folder: a tree of
links), and the restore renames it back. It also keeps each output's metadata record from before
the job and puts it back after a restore, so that the next run compares its inputs and params
with those of the run that made the outputs. That is safe because no stage writes a file in place: each
writes a new file and renames it over the old one (``zhpipe.fsutil``), so the twin keeps the
old bytes. Where links are impossible (another file system), it copies with ``copy2``, which
keeps the timestamps too.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

_SAVED = "_zhpipe_saved_records"  # output key -> its metadata record before the job (or None)
_RESTORED = "_zhpipe_restored"  # output keys restored after a failed job


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _state(self, name: str):
    if not hasattr(self, name):
        setattr(self, name, {} if name == _SAVED else set())
    return getattr(self, name)


def backup_output(self, path: Path) -> None:
    _state(self, _SAVED)[str(path)] = copy.deepcopy(self._read_record(str(path)))
    backup = self._get_backup_path(path)
    _remove(backup)  # a leftover of a run that was killed
    backup.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        shutil.copytree(path, backup, symlinks=True, copy_function=_link_or_copy)
        shutil.copystat(path, backup)
    else:
        _link_or_copy(str(path), str(backup))


def restore_output(self, path: Path) -> bool:
    backup = self._get_backup_path(path)
    if not backup.exists():
        return False
    _remove(path)
    os.replace(backup, path)
    _state(self, _RESTORED).add(str(path))
    return True


def _finished(original):
    async def finished(self, job) -> None:
        await original(self, job)  # records the failed job as if it had finished
        restored, saved = _state(self, _RESTORED), _state(self, _SAVED)
        for f in job.output:
            key = self._get_key(f)
            if key in restored:
                restored.discard(key)
                record = saved.pop(key, None)
                if record is None:
                    self._delete_record(key)
                else:
                    self._write_record(key, record)
            else:
                saved.pop(key, None)
        self._clear_cache()

    finished.zhpipe_patched = True
    return finished


def install() -> None:
    """Patch Snakemake's backup of ``update()`` outputs; fails loudly if its API moved."""
    from snakemake.persistence import FileBackupMixin, PersistenceBase

    needed = [(FileBackupMixin, n) for n in ("_get_backup_path", "backup_output",
                                             "restore_output")]
    needed += [(PersistenceBase, n) for n in ("finished", "_get_key", "_read_record",
                                              "_write_record", "_delete_record", "_clear_cache")]
    for cls, name in needed:
        if not callable(getattr(cls, name, None)):
            raise RuntimeError(
                f"snakemake.persistence.{cls.__name__}.{name} is gone (Snakemake upgraded?): "
                "zhpipe cannot keep outputs through a failed run; pin the Snakemake version "
                "in requirements/requirements.in or update src/zhpipe/snakemake_outputs.py")
    FileBackupMixin.backup_output = backup_output
    FileBackupMixin.restore_output = restore_output
    if not getattr(PersistenceBase.finished, "zhpipe_patched", False):
        PersistenceBase.finished = _finished(PersistenceBase.finished)
