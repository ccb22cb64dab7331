"""dvc.yaml lists exactly the code each stage runs: every ``zhpipe`` module a stage script imports,
directly or through other modules (found with ``ast``, nothing is imported), and nothing more.

Both runners rerun a stage only when a listed dep changes: a missing dep leaves a stale model
reported as current, an extra one reruns an hour of training for an unrelated edit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zhpipe.dag import code_deps as _code_deps
from zhpipe.dag import load_stages, runs_code

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def code_deps(script: Path) -> set[str]:
    return _code_deps(script, ROOT)


def _covered(dep: str) -> set[str]:
    path = ROOT / dep
    if path.is_dir():
        return {p.relative_to(ROOT).as_posix() for p in path.rglob("*.py")
                if p.name != "__init__.py" or runs_code(p)}
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
    assert "src/zhpipe/corpus/segmented.py" in deps
    assert "src/zhpipe/layers/crf.py" in deps  # via tagging/tagger.py -> zhpipe.layers
    assert "src/zhpipe/__init__.py" not in deps or runs_code(SRC / "zhpipe/__init__.py")


def test_modules_that_only_watch_a_stage_are_no_stage_s_dep():
    """Editing how a run is logged (tracking), how a model is served, the progress lines or the
    run lock reruns no stage: no stage lists them (the import-linter contracts keep compute code
    from calling them)."""
    watchers = ("src/zhpipe/tracking/", "src/zhpipe/serving/", "src/zhpipe/progress.py",
                "src/zhpipe/runlock.py")
    for name, st in STAGES.items():
        listed = [d for d in _declared(st) if d.startswith(watchers)]
        assert not listed, f"{name}: dvc.yaml lists {listed}"


def test_a_model_module_is_a_dep_of_exactly_its_stages():
    users = {name for name, st in STAGES.items()
             if "src/zhpipe/couplet/train.py" in _declared(st)}
    assert users == {"train_couplet"}
    users = {name.split("@")[0] for name, st in STAGES.items()
             if "src/zhpipe/cloze/model.py" in _declared(st)}
    assert users == {"train_cloze"}
