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
