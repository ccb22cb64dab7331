"""What every logged model shares: the pyfunc base class, the spec of a model a stage logs, and
logging one (copy its files, log it with its example, register it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow.pyfunc

PACKAGE = Path(__file__).resolve().parents[1]


class Base(mlflow.pyfunc.PythonModel):
    def __getstate__(self) -> dict:
        # Pickled without what load_context loaded: MLflow runs predict on the input example
        # (load_context first) before it pickles the object, which put a second copy of the
        # weights into python_model.pkl (133 MB for the cloze reader). The files are the model.
        return {}

    def _folder(self, context) -> Path:
        return Path(context.artifacts["model"])


@dataclass(frozen=True)
class ModelSpec:
    """One model a stage logs: its registered name, the folder of its files, which files."""

    name: str
    folder: Path
    model: type[Base]
    example: list
    files: tuple[str, ...] = ()  # empty: the whole folder

    def files_to_log(self) -> list[Path]:
        if not self.files:
            return sorted(p for p in self.folder.rglob("*") if p.is_file()
                          and not p.name.startswith("."))
        return [self.folder / f for f in self.files if (self.folder / f).exists()]

    def log(self, tmp: Path) -> str:
        """Log this model into the active run and register it; return its uri."""
        return log_model(self, tmp)


def log_model(spec: ModelSpec, tmp: Path) -> str:
    """Log ``spec`` as a pyfunc model into the active run and register it; return its uri.
    ``tmp``: a scratch folder for the copy of the model's files."""
    import shutil

    staged = tmp / spec.name
    staged.mkdir(parents=True)
    for f in spec.files_to_log():
        dest = staged / f.relative_to(spec.folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    # Its warning that a Python object is pickled (cloudpickle) is about untrusted objects: these
    # are zhpipe's own classes, pickled by reference to this module.
    quiet = logging.getLogger("mlflow.pyfunc")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        info = mlflow.pyfunc.log_model(
            name=spec.name, python_model=spec.model(), artifacts={"model": str(staged)},
            input_example=spec.example, registered_model_name=spec.name,
            code_paths=[str(PACKAGE)], pip_requirements=_requirements())
    finally:
        quiet.setLevel(level)
    return info.model_uri


def _requirements() -> list[str]:
    from importlib.metadata import version

    reqs = []
    for dist in ("keras", "tensorflow-cpu", "numpy", "pydantic", "mlflow"):
        try:
            reqs.append(f"{dist}=={version(dist)}")
        except Exception:  # noqa: BLE001  (not installed here: let pip choose)
            continue
    return reqs
