"""``zhpipe tracking sync``: log the runs queued while the store was unreachable."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from zhpipe.tracking.models import ModelSpecs
from zhpipe.tracking.record import log_record
from zhpipe.tracking.store import PENDING_DIR, log, project_root


def sync_pending(root: Path | None = None, model_specs: ModelSpecs | None = None
                 ) -> tuple[int, int]:
    """Log every queued run; return (logged, still pending).

    One sync at a time (a second one stops, naming the first): two would log a run twice. A
    queued file that cannot be read is moved to ``pending/unreadable/``, named in a warning, and
    the others are logged. ``model_specs``: how to log the queued runs' models (the serving
    face's :func:`zhpipe.serving.specs`); None: their models are not logged."""
    from zhpipe.errors import UserError
    from zhpipe.runlock import hold, release

    root = project_root() if root is None else Path(root)
    folder = root / PENDING_DIR
    lock = hold(folder / ".sync.lock", "zhpipe tracking sync", lambda info: UserError(
        f"{folder}: another `zhpipe tracking sync` ({info}) is logging these runs; wait for "
        "it to finish"))
    try:
        pending = sorted(folder.glob("*.json"))
        done = unreadable = 0
        for path in pending:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                for key in ("stage", "tracking_uri", "tags", "params", "metrics", "artifacts"):
                    record[key]  # noqa: B018  (a record missing any of them is unreadable)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                bad = folder / "unreadable" / path.name
                bad.parent.mkdir(exist_ok=True)
                os.replace(path, bad)
                log.warning("%s: not a queued run (%s); moved to %s, the others are logged",
                            path, exc, bad)
                unreadable += 1
                continue
            if os.environ.get("MLFLOW_TRACKING_URI"):
                record["tracking_uri"] = os.environ["MLFLOW_TRACKING_URI"]
            try:
                log_record(record, root, model_specs)
            except Exception as exc:
                log.warning("%s: still not logged (%s)", path, exc)
                continue
            path.unlink()
            shutil.rmtree(path.with_suffix(".files"), ignore_errors=True)
            done += 1
        return done, len(pending) - done - unreadable
    finally:
        release(lock)


class Watcher:
    """Logs queued records as they appear, on a background thread of a runner process (the
    Snakemake process of a local run, which sets :data:`zhpipe.tracking.record.ENV_VIA_RUNNER`
    for its stages): a stage that trains nothing queues its record and exits, and its run shows
    up a moment later. :meth:`stop` ends the thread; the caller then syncs once more."""

    def __init__(self, root: Path, model_specs: ModelSpecs | None = None,
                 interval_s: float = 1.0):
        import threading

        self.root, self.model_specs, self.interval_s = Path(root), model_specs, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlflow-sync", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _loop(self) -> None:
        folder = self.root / PENDING_DIR
        while not self._stop.wait(self.interval_s):
            if not any(folder.glob("*.json")):
                continue
            try:
                sync_pending(self.root, self.model_specs)
            except Exception as exc:  # noqa: BLE001  (a user's sync holds the lock; retry later)
                log.debug("queued runs not logged yet (%s)", exc)
