"""The stage harness: everything a stage does besides its work, the same way for every stage.

A stage script parses its arguments (``--help`` and argument errors end there, before the lock or
the store is touched) and calls :func:`run` with one work function. The harness then

1. sets up logging and holds NumPy/BLAS, numba and TensorFlow to the stage's threads;
2. takes the run lock (one runner at a time, :mod:`zhpipe.runlock`);
3. opens the stage's live MLflow run on a background thread (:mod:`zhpipe.tracking.live`); a
   stage that trains nothing, in a local Snakemake run, queues its record instead and the
   Snakemake process logs it (:data:`zhpipe.tracking.record.ENV_VIA_RUNNER`);
4. loads and validates the stage's params section and logs it to that run;
5. picks the Keras backend when the section has a ``backend`` key (before Keras is imported);
6. builds each declared output folder beside the old one (:func:`zhpipe.fsutil.atomic_dir`) and
   calls ``work(params, run)``, which returns the stage's metrics; ``run.callbacks`` is the
   Keras-style callback list to hand a training loop (epochs logged live);
7. swaps the folders in, writes ``reports/metrics/<stage>.json`` and the training curves
   (``reports/curves/<stage>/``), then completes the MLflow run (logged models too);
8. on a user error, exits 2 with one line (the run closed FAILED); Ctrl-C exits 130.

It writes the stages' outputs, so it is a code dep of every stage; the tracker it calls is not.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhpipe import tracking
from zhpipe.callbacks import Callback
from zhpipe.curves import write_curves
from zhpipe.errors import UserError
from zhpipe.fsutil import atomic_dir, write_json
from zhpipe.params import Section, load_section
from zhpipe.runlock import stage_lock

#: Set by the Snakefile from the rule's ``threads`` (dvc.yaml ``meta.threads``); unset under
#: ``dvc repro``, which runs one stage at a time: then every core.
THREADS_ENV = "ZHPIPE_THREADS"
NOISY = ("urllib3", "alembic", "mlflow", "git", "matplotlib", "gensim", "smart_open")
log = logging.getLogger(__name__)


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


@dataclass
class Run:
    """What the harness hands a stage's work function."""

    stage: str
    callbacks: list[Callback] = field(default_factory=list)
    #: what the MLflow run records as the stage's params (default: the params section)
    params: Any = None
    outs: dict[Path, Path] = field(default_factory=dict)
    params_path: str | os.PathLike = "params.yaml"

    def section(self, name: str, model: type[Section]) -> Section:
        """Another params section the stage reads (validated, logged to the run)."""
        p = load_section(name, model, self.params_path)
        tracking.note_params(p)
        return p

    def out(self, path: str | os.PathLike) -> Path:
        """The folder to write the declared output ``path`` into (swapped in on success)."""
        try:
            return self.outs[Path(path)]
        except KeyError:
            raise KeyError(f"{path}: not an output declared to the harness "
                           f"({', '.join(map(str, self.outs)) or 'none'})") from None


def run(stage: str, work: Callable[[Any, Run], dict], *, metrics: str | os.PathLike,
        section: str | None = None, model: type[Section] | None = None,
        params: str | os.PathLike = "params.yaml", outs: Sequence[str | os.PathLike] = (),
        artifacts: Sequence[str | os.PathLike] = (), models: str | os.PathLike | None = None,
        model_specs: tracking.record.ModelSpecs | None = None) -> None:
    """Run ``work(params_section, run) -> metrics`` as stage ``stage`` (see the module's steps).
    ``section``/``model``: the params section it reads and its schema; ``outs``: folders built
    atomically (``run.out(path)``); ``artifacts``: files logged with the run; ``models``: the
    output folder whose models ``model_specs`` names, logged and registered."""
    logging.basicConfig(level=logging.INFO, format=f"[{stage}] %(levelname)s %(message)s",
                        stream=sys.stderr)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A stage that trains nothing, in a local Snakemake run: the Snakemake process logs its run
    # (tracking.record.ENV_VIA_RUNNER); this process never imports MLflow.
    deferred = models is None and tracking.via_runner()
    started = time.time()
    try:
        n = threads()
        limit_threads(n)
        log.info("%d thread(s)", n)
        with stage_lock(stage):  # one runner at a time (zhpipe.runlock)
            if not deferred:
                tracking.open_stage_run(stage, wait=False)  # RUNNING until recorded or failed
            _run(stage, work, Path(metrics), section, model, params, outs, artifacts, models,
                 model_specs, deferred, started)
    except (UserError, FileNotFoundError) as exc:
        _close(stage, "FAILED", str(exc), deferred, started)
        print(f"[{stage}] error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        _close(stage, "KILLED", "interrupted", deferred, started)
        print(f"[{stage}] interrupted; no partial output was left behind", file=sys.stderr)
        sys.exit(130)
    except BaseException as exc:
        _close(stage, "FAILED", f"{type(exc).__name__}: {exc}", deferred, started)
        raise


def _close(stage: str, status: str, error: str, deferred: bool, started: float) -> None:
    """The run of a stage that failed or was stopped: its live run closed, or (deferred) a
    record with the status and the error queued for the runner."""
    if not deferred:
        tracking.close_stage_run(status, error)
        return
    with contextlib.suppress(Exception):  # the stage's own error is the one to report
        tracking.record_stage(stage, {}, {}, started=started, status=status, error=error,
                              defer=True)


def _run(stage, work, metrics, section, model, params_path, outs, artifacts, models,
         model_specs, deferred, started) -> None:
    from zhpipe import backend

    p = load_section(section, model, params_path) if section else None
    if p is not None:
        tracking.note_params(p)  # the live run shows it at once
    uses_backend = p is not None and hasattr(p, "backend")
    if uses_backend:
        backend.select(p.backend, f"{section}.backend")  # before Keras is imported
    run_ = Run(stage, callbacks=[tracking.EpochLogger()], params_path=params_path)
    log.info("work starts %.2f s after the process did", since_start())
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:  # the folders appear whole, or not at all
        for out in outs:
            run_.outs[Path(out)] = stack.enter_context(atomic_dir(out))
        result = work(p, run_)
    log.info("work done in %.1f s", time.perf_counter() - t0)
    if uses_backend and "keras" in sys.modules and "backend" not in result:
        result["backend"] = backend.describe()  # what the model trained on
    record(stage, p if run_.params is None else run_.params, result, metrics,
           artifacts=artifacts, models=models, model_specs=model_specs, started=started,
           defer=deferred)


def since_start() -> float:
    """Seconds since this process started (its start-up cost: imports, params, lock)."""
    try:
        import psutil

        return time.time() - psutil.Process().create_time()
    except Exception:  # noqa: BLE001  (a number for a log line; never stop a stage for it)
        return float("nan")


def record(stage: str, params: Any, metrics: dict, metrics_path: str | os.PathLike,
           artifacts: Sequence[str | os.PathLike] = (), root: Path | None = None,
           models: str | os.PathLike | None = None,
           model_specs: tracking.record.ModelSpecs | None = None, started: float | None = None,
           defer: bool = False) -> None:
    """Write ``metrics_path`` (atomically; DVC reads it as metrics) and the training curves
    (DVC's plots), then log the run to MLflow or queue it (``defer``: for the runner)."""
    root = tracking.project_root() if root is None else Path(root)
    write_json(metrics_path, metrics, ascii=True)
    write_curves(stage, metrics, root)
    tracking.record_stage(stage, params, metrics, artifacts=[metrics_path, *artifacts],
                          root=root, models=models, model_specs=model_specs, started=started,
                          defer=defer)
