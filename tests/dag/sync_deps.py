"""Rewrite the code deps of every stage in dvc.yaml from the imports its script runs
(``zhpipe.dag.code_deps``, the walk tests/dag/test_deps.py checks): `make deps`. Review the diff,
then commit it."""

import re
from pathlib import Path

from zhpipe.dag import code_deps

ROOT = Path(__file__).resolve().parents[2]
lines = (ROOT / "dvc.yaml").read_text(encoding="utf-8").split("\n")
out, stage, inserted = [], None, False
for line in lines:
    m = re.match(r"^  (\w+):$", line)
    if m:
        stage, inserted = m.group(1), False
    dm = re.match(r"^( *)- (src/zhpipe/\S+|stages/\S+)$", line)
    if dm and stage:
        if not inserted:
            deps = sorted(code_deps(ROOT / "stages" / f"{stage}.py", ROOT))
            out += [f"{dm.group(1)}- {d}" for d in deps]
            inserted = True
        continue
    out.append(line)
(ROOT / "dvc.yaml").write_text("\n".join(out), encoding="utf-8")
