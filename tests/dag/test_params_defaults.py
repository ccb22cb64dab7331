"""params.yaml is the only place a default lives: every default a params class carries equals the
value params.yaml gives that key, so deleting a key from params.yaml trains the same model."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[2]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def _section_classes() -> dict[str, type]:
    """``{section: class}`` read from each stage script's ``stagerun.run(..., section=,
    model=)`` and ``run.section(name, Class)``."""
    out = {}
    for script in sorted((ROOT / "stages").glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        origin = {a.asname or a.name: node.module for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module for a in node.names}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            if "section" in kw and "model" in kw:  # stagerun.run(..., section=, model=)
                name, cls = kw["section"], kw["model"]
            elif getattr(node.func, "attr", "") == "section" and len(node.args) == 2:
                name, cls = node.args  # run.section("mine_words", MineWordsParams)
            else:
                continue
            if isinstance(name, ast.Constant) and isinstance(cls, ast.Name):
                out[name.value] = getattr(importlib.import_module(origin[cls.id]), cls.id)
    return out


SECTIONS = _section_classes()


def test_every_stage_section_is_found():
    assert {"train_seg", "train_ner", "cloze_items", "cloze_vectors", "train_cloze",
            "train_couplet", "mine_words", "count_ngrams", "word2vec"} <= set(SECTIONS)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_class_defaults_equal_params_yaml(section):
    cls, values = SECTIONS[section], PARAMS[section]
    wrong = {}
    for name, field in cls.model_fields.items():
        if field.default is not PydanticUndefined:
            default = field.default
        elif field.default_factory is not None:
            default = field.default_factory()
        else:
            continue
        if name in values and not isinstance(values[name], dict) and values[name] != default:
            wrong[name] = (default, values[name])
    assert not wrong, f"{section}: class default vs params.yaml: {wrong}"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_params_yaml_section_validates(section):
    SECTIONS[section].model_validate(PARAMS[section])


def test_the_known_sections_are_params_yaml_s():
    from zhpipe.params import SECTIONS as KNOWN

    assert set(KNOWN) == set(PARAMS)


def test_a_typo_in_a_section_name_is_refused(tmp_path):
    from zhpipe.params import ParamsError, load_section
    from zhpipe.report.params import ReportParams

    path = tmp_path / "params.yaml"
    path.write_text("report:\n  title: x\ntrain_clozee:\n  units: 8\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"train_clozee \(did you mean train_cloze\?\)"):
        load_section("report", ReportParams, path)
