"""Rewrite the code deps of every stage in dvc.yaml from the imports its script runs (the walk of
test_deps.py): `make deps`. Review the diff, then commit it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ns = {"__file__": str(Path(__file__).with_name("test_deps.py"))}
exec(open(str(Path(__file__).with_name("test_deps.py"))).read().split("STAGES = {")[0], ns)
lines = (ROOT / "dvc.yaml").read_text().split("\n")
out, stage, inserted = [], None, False
for line in lines:
    m = re.match(r"^  (\w+):$", line)
    if m:
        stage, inserted = m.group(1), False
    dm = re.match(r"^( *)- (src/zhpipe/\S+|stages/\S+)$", line)
    if dm and stage:
        if not inserted:
            deps = sorted(ns["code_deps"](ROOT / "stages" / f"{stage}.py"))
            out += [f"{dm.group(1)}- {d}" for d in deps]
            inserted = True
        continue
    out.append(line)
(ROOT / "dvc.yaml").write_text("\n".join(out))
