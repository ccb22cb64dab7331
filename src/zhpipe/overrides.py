"""``--set KEY=VALUE`` overrides of a params section, for the benches (``dvc exp run -S`` is the
pipeline's own way)."""

from __future__ import annotations

from typing import Any

from zhpipe.params import ParamsError


def parse_overrides(items: list[str], section: str) -> dict[str, Any]:
    """``["epochs=3", "dilations=[1, 2]"]`` -> ``{"epochs": 3, "dilations": [1, 2]}`` (values as
    YAML), for the benches' ``--set``; a malformed item is an error naming it."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParamsError(f"--set {item!r}: write KEY=VALUE (a {section} param)")
        out[key.strip()] = yaml.safe_load(value)
    return out
