"""Loading and validating ``params.yaml``.

Each stage reads exactly one section and validates it with a frozen pydantic model when it starts:
an unknown key or a value of the wrong type stops the stage at once with a message that names the
file and the dotted key, e.g. ``params.yaml: prepare.corpora.pd1998.dev_fraction: Input should be
a valid number``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from zhpipe.errors import UserError

DEFAULT_PATH = Path("params.yaml")


class Section(BaseModel):
    """Base of every params section: frozen, no unknown keys, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


S = TypeVar("S", bound=Section)


class ParamsError(UserError, ValueError):
    """A params file is missing, unreadable, or a key in it is unknown or of the wrong type."""


def read_params(path: str | Path = DEFAULT_PATH) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found; run from the project root or pass --params") from None
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not UTF-8 ({exc})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: the top level must be a mapping of sections")
    return data


def format_errors(exc: ValidationError, prefix: str, path: str | Path) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join([prefix, *(str(p) for p in err["loc"])])
        value = err.get("input")
        shown = "" if err["type"] == "missing" else f" (got {value!r:.60})"
        lines.append(f"{path}: {key}: {err['msg']}{shown}")
    return "\n".join(lines)


def validate(model: type[S], data: Any, prefix: str, path: str | Path = DEFAULT_PATH) -> S:
    """Validate ``data`` against ``model``; errors name ``prefix.key`` in ``path``."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ParamsError(format_errors(exc, prefix, path)) from None


#: The top-level sections of params.yaml (a test keeps this in step with the file): a section
#: name not in it is a typo, refused by every stage instead of silently ignored.
SECTIONS = ("tracking", "download", "prepare", "raw_text", "count_ngrams", "mine_words", "word2vec",
            "eval_word2vec", "train_seg", "train_ner", "train_couplet", "train_title", "cloze_items",
            "cloze_vectors", "train_cloze", "train_poem", "own_corpus", "report")


def load_section(section: str, model: type[S], path: str | Path = DEFAULT_PATH) -> S:
    """Read ``path`` and validate its ``section`` with ``model``."""
    data = read_params(path)
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        import difflib

        hints = [f"{k} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(k, SECTIONS, 1))
                 else k for k in unknown]
        raise ParamsError(f"{path}: unknown section(s) {', '.join(hints)}; the sections are "
                          f"{', '.join(SECTIONS)}")
    if section not in data:
        raise ParamsError(f"{path}: section '{section}' is missing")
    return validate(model, data[section], section, path)


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings and lists into ``{"a.b.0": value}`` (for MLflow params)."""
    out: dict[str, Any] = {}
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            out.update(flatten(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = obj
    return out
