"""A stage's data inputs as MLflow datasets: name = the dep's path in dvc.yaml, digest = the hash
DVC records for it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from zhpipe.tracking.store import log


def md5_file(path: Path) -> str:
    import hashlib

    h = hashlib.md5()  # noqa: S324  (DVC's content hash, not a security function)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dvc_hash(path: Path) -> str:
    """The hash DVC records for ``path`` in dvc.lock: the md5 of a file; for a folder, the md5
    of its sorted ``[{"md5", "relpath"}]`` list as JSON, with ``.dir`` appended."""
    import hashlib

    path = Path(path)
    if path.is_file():
        return md5_file(path)
    entries = [{"md5": md5_file(f), "relpath": f.relative_to(path).as_posix()}
               for f in sorted(path.rglob("*")) if f.is_file()]
    entries.sort(key=lambda e: e["relpath"])
    return hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir"  # noqa: S324


_VAR = re.compile(r"\$\{([^}]+)\}")


def stage_inputs(stage: str, root: Path) -> list[str]:
    """The data deps of ``stage`` in dvc.yaml (code under src/ and stages/ left out), with a
    ``foreach`` stage's ``${key}`` / ``${item...}`` filled in."""
    if not (root / "dvc.yaml").is_file():
        return []
    try:
        doc = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {}
        base, _, key = stage.partition("@")
        spec = (doc.get("stages") or {}).get(base) or {}
        item: Any = key
        if "foreach" in spec:
            scope: dict = {}
            for f in (*(doc.get("vars") or []), "params.yaml"):
                if isinstance(f, str) and (root / f).is_file():
                    scope.update(yaml.safe_load((root / f).read_text(encoding="utf-8")) or {})
            cur: Any = scope
            for part in _VAR.fullmatch(str(spec["foreach"])).group(1).split("."):
                cur = cur[part]
            item = cur[key] if isinstance(cur, dict) else key
            spec = spec["do"]

        def fill(m: re.Match) -> str:
            name = m.group(1)
            if name in ("key", "item"):
                return key
            cur = item
            for part in name.split(".")[1:]:
                cur = cur[part]
            return str(cur)

        deps = [_VAR.sub(fill, str(d)) for d in spec.get("deps") or []]
    except Exception as exc:  # the run is still logged, without inputs
        log.warning("MLflow: the inputs of %s could not be read from dvc.yaml (%s)", stage, exc)
        return []
    return [d for d in deps if not d.startswith(("src/", "stages/"))]


def inputs(stage: str, root: Path) -> list[dict]:
    """``[{"name", "path", "digest"}]`` for the data deps of ``stage`` that exist."""
    out = []
    for dep in stage_inputs(stage, root):
        path = Path(os.path.expanduser(dep))
        path = path if path.is_absolute() else root / path
        if path.exists():
            out.append({"name": dep, "path": str(path.resolve()), "digest": dvc_hash(path)})
    return out


def log_inputs(c, rid: str, inputs: list[dict]) -> None:
    if not inputs:
        return
    from mlflow.entities import Dataset, DatasetInput, InputTag

    # source type "local" with a {"uri": ...} source: what MLflow's own local datasets record
    datasets = [DatasetInput(Dataset(name=d["name"], digest=d["digest"], source_type="local",
                                     source=json.dumps({"uri": d["path"]})),
                             [InputTag("mlflow.data.context", "input")]) for d in inputs]
    c.log_inputs(rid, datasets=datasets)
