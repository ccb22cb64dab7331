"""Training curves in a stage's metrics: every ``history`` list (one dict per epoch, with an
``epoch`` key) is a curve, named by the dotted path of its parent (``{"ner": {"history": [...]}}``
-> ``ner``). The harness writes each as ``reports/curves/<stage>/<curve>.json`` (one row per
epoch) for ``dvc plots show`` / ``dvc plots diff``; the tracker logs them as MLflow step metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhpipe.fsutil import write_json

CURVES_DIR = Path("reports") / "curves"


def is_history(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(row, dict) and "epoch" in row for row in value))


def curves(metrics: dict, prefix: str = "") -> dict[str, list[dict]]:
    """The training curves in ``metrics``, numeric fields only."""
    out: dict[str, list[dict]] = {}
    for key, value in metrics.items():
        path = f"{prefix}{key}"
        if key == "history" and is_history(value):
            name = prefix[:-1] or "history"
            out[name] = [{k: v for k, v in row.items()
                          if isinstance(v, int | float) and not isinstance(v, bool)}
                         for row in value]
        elif isinstance(value, dict):
            out.update(curves(value, f"{path}."))
    return out


def without_history(metrics: Any) -> Any:
    """``metrics`` less its curves (the numbers logged once, not per epoch)."""
    if isinstance(metrics, dict):
        return {k: without_history(v) for k, v in metrics.items()
                if not (k == "history" and is_history(v))}
    return metrics


def steps(metrics: dict) -> dict[str, list[list[float]]]:
    """``{"<curve>.<field>": [[epoch, value], ...]}`` for MLflow step metrics."""
    out: dict[str, list[list[float]]] = {}
    for name, rows in curves(metrics).items():
        for row in rows:
            for key, value in row.items():
                if key != "epoch" and value == value:
                    out.setdefault(f"{name}.{key}", []).append([int(row["epoch"]),
                                                                  float(value)])
    return out


def write_curves(stage: str, metrics: dict, root: Path) -> list[Path]:
    """``reports/curves/<stage>/<curve>.json`` for each training curve (atomic writes)."""
    written = []
    for name, rows in curves(metrics).items():
        path = Path(root) / CURVES_DIR / stage.replace("@", "_") / f"{name}.json"
        write_json(path, rows)
        written.append(path)
    return written
