"""zhpipe.backend: the params choose the Keras backend before Keras is imported (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhpipe import backend, stagerun, tracking
from zhpipe.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def test_auto_follows_the_environment_else_tensorflow_on_a_machine_without_gpu(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backend.resolve("auto") == "jax"
    assert backend.resolve("tensorflow") == "tensorflow"  # the params win over the environment
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setattr(backend, "_jax_sees_gpu", lambda: False)
    assert backend.resolve("auto") == "tensorflow"
    monkeypatch.setattr(backend, "_jax_sees_gpu", lambda: True)
    assert backend.resolve("auto") == "jax"


def test_a_backend_that_is_not_installed_or_unknown_is_a_clear_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(UserError, match=r"train_seg.backend: backend 'torch' is not installed"):
        backend.select("torch", "train_seg.backend")
    with pytest.raises(UserError, match="choose one of auto, tensorflow, jax, torch"):
        backend.select("theano", "train_seg.backend")
    monkeypatch.setenv("KERAS_BACKEND", "numpy")
    with pytest.raises(UserError, match=r"resolves to backend 'numpy' \(\$KERAS_BACKEND\?\)"):
        backend.select("auto", "train_seg.backend")


@pytest.mark.parametrize("name", ["tensorflow", "jax"])
def test_select_sets_the_backend_keras_then_runs_on_and_describe_names_it(name):
    """A fresh process: Keras reads KERAS_BACKEND once, at its first import."""
    pytest.importorskip(name)
    code = ("import json, os; from zhpipe import backend; os.environ['KERAS_BACKEND'] = 'x';"
            f"backend.select({name!r}); import keras; print(json.dumps(backend.describe()))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["backend"] == name and got["device"]


def test_the_backend_is_an_mlflow_tag(tmp_path, monkeypatch):
    for var in ("MLFLOW_TRACKING_URI", tracking.ENV_PARENT, "DVC_STAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    stagerun.record("train_seg", {"k": 1}, {"f1": 0.9, "backend": {
        "backend": "jax", "device": "gpu: NVIDIA H100"}}, tmp_path / "m.json", root=tmp_path)
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking.tracking_uri(tmp_path))
    (run,) = c.search_runs([c.get_experiment_by_name(tracking.EXPERIMENT).experiment_id])
    assert run.data.tags["zhpipe.backend"] == "jax"
    assert run.data.tags["zhpipe.device"] == "gpu: NVIDIA H100"
