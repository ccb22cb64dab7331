"""dvc.yaml lists exactly the code each stage runs: every ``zhpipe`` module a stage script imports,
directly or through other modules (found with ``ast``, nothing is imported), and nothing more.

Both runners rerun a stage only when a listed dep changes: a missing dep leaves a stale model
reported as current, an extra one reruns an hour of training for an unrelated edit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from zhpipe.dag import load_stages

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def module_file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _runs_code(init: Path) -> bool:
    """An ``__init__.py`` of nothing but a docstring runs no code: editing it changes nothing."""
    body = ast.parse(init.read_text(encoding="utf-8")).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def _imports(path: Path) -> set[str]:
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
                      if module_file(f"{node.module}.{a.name}")}
    mods = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "zhpipe":
            continue
        mods |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return mods


def code_deps(script: Path) -> set[str]:
    """Files (relative to the project root) whose code runs when ``script`` runs."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for mod in _imports(path):
            f = module_file(mod)
            assert f is not None, f"{path}: imports {mod}, which is not in src/"
            todo.append(f)
    return {p.relative_to(ROOT).as_posix() for p in seen
            if p.name != "__init__.py" or _runs_code(p)}


def _covered(dep: str) -> set[str]:
    path = ROOT / dep
    if path.is_dir():
        return {p.relative_to(ROOT).as_posix() for p in path.rglob("*.py")
                if p.name != "__init__.py" or _runs_code(p)}
    return {dep}


STAGES = {st.name: st for st in load_stages(ROOT)}


def _declared(stage) -> list[str]:
    """The deps as written in dvc.yaml (load_stages expands source folders into files)."""
    import yaml

    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    body = spec[stage.name.split("@")[0]]
    return list(body.get("do", body).get("deps", []))


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_every_module_it_runs(name):
    st = STAGES[name]
    script = ROOT / st.cmd.split()[1]
    needed = code_deps(script)
    listed = {f for d in _declared(st) if d.startswith(("src/", "stages/"))
              for f in _covered(d)}
    missing = sorted(needed - listed)
    assert not missing, f"{name}: dvc.yaml does not list {missing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lists_no_module_it_does_not_run(name):
    st = STAGES[name]
    needed = code_deps(ROOT / st.cmd.split()[1])
    extra = sorted({f for d in _declared(st) if d.startswith(("src/", "stages/"))
                    for f in _covered(d)} - needed)
    assert not extra, f"{name}: dvc.yaml lists {extra}, which the stage never imports"


def test_the_walk_follows_imports_through_modules(tmp_path):
    """The walk itself, on today's code: the names tagger reaches the 1998 parser through
    another module, and lazy imports inside functions count."""
    deps = code_deps(ROOT / "stages/train_crf.py") if (ROOT / "stages/train_crf.py").exists() \
        else code_deps(ROOT / "stages/train_ner.py")
    assert "src/zhpipe/corpus/prepare.py" in deps
    assert "src/zhpipe/layers/crf.py" in deps  # via tagging/tagger.py -> zhpipe.layers
    assert "src/zhpipe/__init__.py" not in deps or _runs_code(SRC / "zhpipe/__init__.py")
