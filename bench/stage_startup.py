"""Stage start-up, measured: how long a stage takes before its work starts, and in all, for a
stage that trains nothing (count_ngrams on a two-line text) and the ``--help`` of a stage, for
this checkout and for a baseline commit (``--baseline``, default: the commit before issue 34's
harness) checked out in a temporary worktree, in the same run. Each in a fresh project folder
(a new MLflow store each time, which the stage creates), ``--repeat`` times; the medians
are reported.

Prints one JSON line a stage kind (``help``, ``no_model``: run by hand or by DVC, logging its
own run; ``no_model_snakemake``: in a local Snakemake run, its record queued for the Snakemake
process) with both sides and their ratio.
``work_start_s``: the harness's own "work starts N s after the process did" line (this checkout
only; the baseline has no such line). Also ``python -X importtime`` of ``download --help``: the
modules it imports (MLflow must not be among them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _time(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return wall, proc.stderr


def measure(checkout: Path, repeat: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "ZHPIPE_", "DVC_"))}
    env["PYTHONPATH"] = str(checkout / "src")
    out: dict = {"help": [], "no_model": [], "no_model_via_runner": [], "work_start": [],
                 "help_touched_store": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            proj = Path(tmp)
            (proj / "params.yaml").write_text((checkout / "params.yaml").read_text("utf-8"),
                                              encoding="utf-8")
            (proj / "t.txt").write_text("北京欢迎你。\n我们是朋友。\n", encoding="utf-8")
            wall, _ = _time([PY, str(checkout / "stages/download.py"), "--help"], proj, env)
            out["help"].append(wall)
            out["help_touched_store"].append((proj / "mlflow.db").exists())
            for made in ("mlflow.db", "mlartifacts", ".zhpipe"):  # the stage meets a new store
                subprocess.run(["rm", "-rf", str(proj / made)], check=True)
            wall, err = _time([PY, str(checkout / "stages/count_ngrams.py"), "0", "c.npz",
                               "m.json", "t.txt"], proj, env)
            out["no_model"].append(wall)
            m = re.search(r"work starts ([\d.]+) s after", err)
            if m:
                out["work_start"].append(float(m.group(1)))
            # in a local Snakemake run: the record queued for the Snakemake process
            wall, _ = _time([PY, str(checkout / "stages/count_ngrams.py"), "0", "c.npz",
                             "m.json", "t.txt"], proj, {**env, "ZHPIPE_TRACKING_VIA_RUNNER": "1"})
            out["no_model_via_runner"].append(wall)
    touched = any(out.pop("help_touched_store"))
    return {**{k: round(statistics.median(v), 3) if v else None for k, v in out.items()},
            "help_touched_store": touched}


def imports_of_help(checkout: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    proc = subprocess.run([PY, "-X", "importtime", str(checkout / "stages/download.py"),
                           "--help"], capture_output=True, text=True, env=env, timeout=120)
    mods = [line.split("|")[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line]
    return {"modules": len(mods), "mlflow": any(m.split(".")[0] == "mlflow" for m in mods),
            "keras": any(m.split(".")[0] == "keras" for m in mods)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--baseline", default="9a7f526", help="commit to compare with")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base), args.baseline],
                       cwd=ROOT, check=True)
        try:
            before = measure(base, args.repeat)
            after = measure(ROOT, args.repeat)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    common = {"bench": "stage_startup", "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
              "repeat": args.repeat, "baseline": args.baseline,
              "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                       capture_output=True, text=True).stdout.strip()}
    print(json.dumps({**common, "kind": "help", "seconds": after["help"],
                      "baseline_seconds": before["help"],
                      "ratio": round(after["help"] / before["help"], 3),
                      "help_touched_store": after["help_touched_store"],
                      "baseline_help_touched_store": before["help_touched_store"],
                      "imports": imports_of_help(ROOT)}))
    print(json.dumps({**common, "kind": "no_model", "work_start_s": after["work_start"],
                      "seconds_total": after["no_model"],
                      "baseline_seconds_total": before["no_model"],
                      "ratio": round(after["no_model"] / before["no_model"], 3)}))
    # under a local Snakemake run (the baseline logged its own run there too)
    print(json.dumps({**common, "kind": "no_model_snakemake",
                      "seconds_total": after["no_model_via_runner"],
                      "baseline_seconds_total": before["no_model"],
                      "ratio": round(after["no_model_via_runner"] / before["no_model"], 3)}))


if __name__ == "__main__":
    main()
