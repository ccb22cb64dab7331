"""Glue shared by the stage entry points in ``stages/``: logging, threads, clean error exits."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from zhpipe import tracking
from zhpipe.errors import UserError
from zhpipe.runlock import stage_lock

#: Set by the Snakefile from the rule's ``threads`` (dvc.yaml ``meta.threads``); unset under
#: ``dvc repro``, which runs one stage at a time: then every core.
THREADS_ENV = "ZHPIPE_THREADS"


def threads() -> int:
    """The number of threads this stage may use."""
    raw = os.environ.get(THREADS_ENV, "")
    try:
        return max(1, int(raw)) if raw else max(1, os.cpu_count() or 1)
    except ValueError:
        raise UserError(f"${THREADS_ENV}={raw!r}: not a whole number of threads") from None


def limit_threads(n: int) -> None:
    """Hold NumPy/BLAS, numba and TensorFlow to ``n`` threads (set before their pools start)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(n)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(min(n, 2))
    if "tensorflow" in sys.modules:  # imported with keras: pools start with the first op
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(min(n, 2))
        except RuntimeError:  # already started: the environment variables above still hold
            pass


def run(stage: str, main: Callable[[list[str] | None], None]) -> None:
    """Run a stage's ``main`` with logging and threads set up; user errors exit 2 with the
    message only."""
    logging.basicConfig(level=logging.INFO, format=f"[{stage}] %(levelname)s %(message)s",
                        stream=sys.stderr)
    for noisy in ("urllib3", "alembic", "mlflow", "git", "matplotlib", "gensim", "smart_open"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        n = threads()
        limit_threads(n)
        logging.getLogger(__name__).info("%d thread(s)", n)
        with stage_lock(stage):  # one runner at a time (zhpipe.runlock)
            tracking.open_stage_run(stage)  # RUNNING until record_stage closes it
            main(None)
            tracking.close_stage_run("FINISHED")  # a stage that recorded nothing
    except (UserError, FileNotFoundError) as exc:
        tracking.close_stage_run("FAILED", str(exc))
        print(f"[{stage}] error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        tracking.close_stage_run("KILLED", "interrupted")
        print(f"[{stage}] interrupted; no partial output was left behind", file=sys.stderr)
        sys.exit(130)
    except BaseException as exc:
        tracking.close_stage_run("FAILED", f"{type(exc).__name__}: {exc}")
        raise
