"""The pipeline's stages as DVC resolves them from ``dvc.yaml``, for the Snakefile and the tests.

``dvc.yaml`` is the only place stages are declared; ``foreach`` stages are expanded by DVC itself
(``download@pd1998``). The Snakefile turns each into one rule:

* rule name: the stage name with ``@`` (and anything else not allowed) as ``_``;
* input: the stage's deps; a file inside another stage's out folder stands for that folder (DVC
  tracks the file itself, Snakemake only the folder); a folder that holds other stages' outs
  stands for those outs; a source folder that no stage produces is expanded into its files, so
  that editing a file inside reruns the stage (a folder's own mtime does not change then);
* output: the stage's outs; an out without a file suffix is a folder (``directory()``);
* threads: ``meta.threads`` (default 1): a whole number, or a share of ``--cores`` (0.5: half,
  at least 1; 1.0: all); the rule passes it to the stage as ``$ZHPIPE_THREADS``, so that
  ``snakemake --cores N`` never runs more threads than N (on a cluster, ``--cores`` is one node's
  CPUs: profiles/slurm sets it);
* resources: ``meta.mem_mb`` (peak memory, MB; default 1000) and ``meta.runtime`` (time limit,
  minutes; default 60): what a cluster scheduler is asked for (Slurm's ``--mem`` and ``--time``);
* params: the command, and the values of the params.yaml keys the stage lists, so that changing
  one of them reruns exactly that stage (Snakemake's ``params`` rerun trigger).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_SKIP = ("__pycache__", ".pyc", ".egg-info")


@dataclass(frozen=True)
class Stage:
    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    params: dict
    threads: float = 1  # dvc.yaml meta.threads: a count, or a share of --cores up to 1.0
    priority: int = 0  # dvc.yaml meta.priority: Snakemake starts higher ones first
    mem_mb: int = 1000  # dvc.yaml meta.mem_mb: peak memory a scheduler reserves (MB)
    runtime: int = 60  # dvc.yaml meta.runtime: a scheduler's time limit (minutes)

    @property
    def rule_name(self) -> str:
        return rule_name(self.name)


def rule_name(stage: str) -> str:
    return re.sub(r"\W", "_", stage)


def is_dir_out(path: str) -> bool:
    """Convention of this project's dvc.yaml: an out without a suffix is a folder."""
    return Path(path).suffix == ""


def _lookup(data: dict, dotted: str):
    cur = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(f"params.yaml has no key {dotted!r} (listed in dvc.yaml)")
        cur = cur[part]
    return cur


def _expand(root: Path, dep: str, produced: set[str]) -> list[str]:
    """A dep folder holding other stages' outs stands for those outs (DVC links them that way);
    a plain source folder stands for its files."""
    path = root / dep
    if dep in produced:
        return [dep]
    # A file inside another stage's out folder: Snakemake only knows the folder.
    parent = next((o for o in produced if is_dir_out(o) and dep.startswith(o + "/")), None)
    if parent is not None:
        return [parent]
    inside = sorted(o for o in produced if o.startswith(dep.rstrip("/") + "/"))
    if inside:
        return inside
    if not path.is_dir():
        return [dep]
    files = sorted(  # a folder outside the project (a user's corpus): absolute paths
        (p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p))
        for p in path.rglob("*") if p.is_file() and not any(s in p.as_posix() for s in _SKIP))
    return files or [dep]


def load_stages(root: str | Path = ".") -> list[Stage]:
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    root = Path(root).resolve()
    params_cache: dict[Path, dict] = {}
    raw: list[tuple] = []
    with Repo(str(root)) as repo:
        for st in repo.index.stages:
            if not isinstance(st, PipelineStage):
                continue
            deps, params = [], {}
            for d in st.deps:
                if isinstance(d, ParamsDependency):
                    file = root / d.def_path
                    if file not in params_cache:
                        params_cache[file] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
                    for key in d.params:
                        params[key] = _lookup(params_cache[file], key)
                else:
                    deps.append(d.def_path)
            outs = [o.def_path for o in st.outs]
            threads = (st.meta or {}).get("threads", 1)
            if not (isinstance(threads, int) and threads >= 1 or
                    isinstance(threads, float) and 0 < threads <= 1):
                raise ValueError(f"dvc.yaml: {st.addressing}: meta.threads must be a whole "
                                 f"number >= 1 or a share of the cores in (0, 1.0], not "
                                 f"{threads!r}")
            priority = int((st.meta or {}).get("priority", 0))
            resources = {key: _positive_int(st, key) for key in ("mem_mb", "runtime")
                         if key in (st.meta or {})}
            raw.append((st.addressing, st.cmd, deps, outs, params, threads, priority, resources))
    produced = {o for _, _, _, outs, *_ in raw for o in outs}
    stages = []
    for name, cmd, deps, outs, params, threads, priority, resources in raw:
        expanded = [f for d in deps for f in _expand(root, d, produced)]
        stages.append(Stage(name, cmd if isinstance(cmd, str) else " && ".join(cmd),
                            tuple(expanded), tuple(outs), params, threads, priority, **resources))
    return stages


def _positive_int(stage, key: str) -> int:
    value = stage.meta[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"dvc.yaml: {stage.name}: meta.{key} must be a whole number >= 1 "
                         f"({'MB' if key == 'mem_mb' else 'minutes'}), not {value!r}")
    return value


def rule_threads(stage: Stage, cores: int | None) -> int:
    """The threads of ``stage``'s rule under ``--cores cores``: a whole number as declared; a
    share of the cores (0.5: half, at least 1, so that two such stages run side by side on 2
    cores and each gets 8 threads on 16; 1.0: all of them)."""
    if isinstance(stage.threads, int):
        return stage.threads
    return max(1, int((cores or 1) * stage.threads))


def params_fingerprint(stage: Stage) -> str:
    return json.dumps(stage.params, sort_keys=True, ensure_ascii=False)


# ---------------------------------------------------------------- code deps (tests, make deps)
def module_file(module: str, src: Path) -> Path | None:
    """The file of a ``zhpipe`` module under ``src`` (a module or a package)."""
    base = src.joinpath(*module.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def runs_code(init: Path) -> bool:
    """An ``__init__.py`` of nothing but a docstring runs no code: editing it changes nothing."""
    body = ast.parse(init.read_text(encoding="utf-8")).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def _imports(path: Path, src: Path) -> set[str]:
    """Every ``zhpipe`` module named by an import anywhere in the file (lazy imports inside
    functions too: they run when that branch does), with its parent packages."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            # `from zhpipe.pkg import mod` names a module; `from zhpipe.mod import func` does not
            names |= {f"{node.module}.{a.name}" for a in node.names
                      if module_file(f"{node.module}.{a.name}", src)}
    mods = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "zhpipe":
            continue
        mods |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return mods


#: Modules that watch a stage and cannot change what it writes: how its run is logged (MLflow),
#: how its models are wrapped for serving, progress lines, the run lock. They are no code dep of
#: any stage (editing them reruns nothing), and the walk does not follow their imports. The
#: import-linter contracts (.importlinter) keep compute code from calling them.
OBSERVERS = ("zhpipe.tracking", "zhpipe.serving", "zhpipe.progress", "zhpipe.runlock")


def is_observer(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in OBSERVERS)


def code_deps(script: Path, root: Path) -> set[str]:
    """Files (relative to ``root``) whose code can change what ``script`` writes: the script and
    every ``zhpipe`` module it imports, transitively, found with ``ast`` (nothing is imported),
    less the :data:`OBSERVERS`."""
    src = root / "src"
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for mod in _imports(path, src):
            if is_observer(mod):
                continue
            f = module_file(mod, src)
            if f is None:
                raise ValueError(f"{path}: imports {mod}, which is not in src/")
            todo.append(f)
    return {p.relative_to(root).as_posix() for p in seen
            if p.name != "__init__.py" or runs_code(p)}
