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

On a cluster the job runs in a Snakemake process of its own (inside the scheduler's job), which
backs up and restores as above; the Snakemake processes above it (the executor's job step, the
submitting one) have no backup, so Snakemake's clean-up of a failed job deleted the outputs
that the inner process had just restored (seen on Slurm: a failed ``prepare@pd1998`` lost
``data/prepared/pd1998``). :func:`install` also makes that clean-up leave ``update()`` outputs
alone: a stage writes them whole or not at all (``zhpipe.fsutil``), so there is never a
half-written one to remove. And the submitting process, which writes the metadata, records a
failed cluster job as finished (it restored nothing, so the record-keeping above did not apply):
that record is now skipped, leaving the output marked incomplete, so the stage reruns.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

_SAVED = "_zhpipe_saved_records"  # output key -> its metadata record before the job (or None)
_RESTORED = "_zhpipe_restored"  # output keys restored after a failed job
_FAILED = "_zhpipe_failed"  # set on a Job whose postprocess saw an error


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
        restored, saved = _state(self, _RESTORED), _state(self, _SAVED)
        if getattr(job, _FAILED, False) and not any(self._get_key(f) in restored
                                                    for f in job.output):
            # a failed cluster job, seen from the submitting process (the job's own process
            # restored the outputs): record nothing; the incomplete mark stays, so the stage
            # reruns (rerun-incomplete) and its outputs never pass for built by this run
            return
        await original(self, job)  # records the failed job as if it had finished
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


def _postprocess(original):
    async def postprocess(self, *args, error: bool = False, **kwargs) -> None:
        setattr(self, _FAILED, error)
        await original(self, *args, error=error, **kwargs)

    postprocess.zhpipe_patched = True
    return postprocess


def _cleanup(original):
    async def cleanup(self, skip_outputs) -> None:
        from snakemake.io import is_flagged

        keep = {f for f in self.output if is_flagged(f, "update")}
        await original(self, set(skip_outputs) | keep)

    cleanup.zhpipe_patched = True
    return cleanup


def install() -> None:
    """Patch Snakemake's backup of ``update()`` outputs; fails loudly if its API moved."""
    from snakemake.jobs import Job
    from snakemake.persistence import FileBackupMixin, PersistenceBase

    needed = [(FileBackupMixin, n) for n in ("_get_backup_path", "backup_output",
                                             "restore_output")]
    needed += [(Job, "cleanup"), (Job, "postprocess")]
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
    if not getattr(Job.cleanup, "zhpipe_patched", False):
        Job.cleanup = _cleanup(Job.cleanup)
    if not getattr(Job.postprocess, "zhpipe_patched", False):
        Job.postprocess = _postprocess(Job.postprocess)
