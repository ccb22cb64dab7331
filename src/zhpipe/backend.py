"""Which Keras backend a training stage runs on, and what it ran on.

The models use ``keras.ops`` only, so TensorFlow, JAX and PyTorch all train them. A training
stage's params section has ``backend``:

* ``auto`` (default): ``$KERAS_BACKEND`` if it is set; else JAX when JAX is installed and sees a
  GPU; else TensorFlow (the CPU default of the lock file);
* ``tensorflow``, ``jax`` or ``torch``: that one, whatever ``$KERAS_BACKEND`` says.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so :func:`select` runs before any
model code is imported (the stage scripts import it after reading their params). Each training
stage records :func:`describe` in its metrics and as MLflow tags.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys

from zhpipe.errors import UserError

log = logging.getLogger(__name__)

CHOICES = ("auto", "tensorflow", "jax", "torch")
_PACKAGE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
_INSTALL = {
    "tensorflow": "it is in requirements/lock.txt: run `make venv`",
    "jax": "on CPU `pip install -r requirements/jax.txt`; on an NVIDIA GPU "
           "`pip install -U \"jax[cuda12]\"`",
    "torch": "`pip install torch` (see https://pytorch.org/get-started/locally/)",
}


def _jax_sees_gpu() -> bool:
    if importlib.util.find_spec("jax") is None:
        return False
    try:
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    except Exception:  # no usable device plugin: not a GPU
        return False


def resolve(choice: str) -> str:
    """The backend ``choice`` (one of :data:`CHOICES`) stands for on this machine."""
    if choice not in CHOICES:
        raise UserError(f"backend {choice!r}: choose one of {', '.join(CHOICES)}")
    if choice != "auto":
        return choice
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env
    return "jax" if _jax_sees_gpu() else "tensorflow"


def select(choice: str, key: str = "backend") -> str:
    """Set ``KERAS_BACKEND`` for ``choice`` before Keras is imported; return the backend.
    ``key`` names the param in messages (``train_seg.backend``)."""
    name = resolve(choice)
    if name not in _PACKAGE:
        raise UserError(f"{key}: {choice!r} resolves to backend {name!r} ($KERAS_BACKEND?); "
                        f"use one of {', '.join(CHOICES)}")
    if importlib.util.find_spec(_PACKAGE[name]) is None:
        raise UserError(f"{key}: backend {name!r} is not installed; {_INSTALL[name]}")
    env = os.environ.get("KERAS_BACKEND")
    if env and env != name:
        log.info("%s: %s (params) rather than $KERAS_BACKEND=%s", key, name, env)
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != name:
            raise RuntimeError(f"Keras was imported (backend {keras.backend.backend()}) before "
                               f"{key} chose {name}: import the model code after select()")
    os.environ["KERAS_BACKEND"] = name
    return name


def describe() -> dict[str, str]:
    """The backend Keras runs on and its first device: ``{"backend": "jax", "device": "gpu:
    NVIDIA H100 80GB HBM3"}``; the device is ``cpu`` without an accelerator."""
    import keras

    name = keras.backend.backend()
    device = "cpu"
    try:
        if name == "jax":
            import jax

            d = jax.devices()[0]
            device = "cpu" if d.platform == "cpu" else f"{d.platform}: {d.device_kind}"
        elif name == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                device = f"gpu: {details.get('device_name', gpus[0].name)}"
        elif name == "torch":
            import torch

            if torch.cuda.is_available():
                device = f"gpu: {torch.cuda.get_device_name(0)}"
    except Exception as exc:  # describing must never stop a stage
        device = f"unknown ({type(exc).__name__})"
    return {"backend": name, "device": device}
