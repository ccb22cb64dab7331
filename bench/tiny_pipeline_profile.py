"""Where the end-to-end test's time goes: the tiny DAG of tests/e2e (tests/conftest.py
``tiny_project``: tiny datasets served from 127.0.0.1) run once by ``snakemake --cores N``,
then each stage's wall time (its MLflow run's start to end), its start-up before its work (the
harness's "work starts" line in Snakemake's log of the stage), and the total.

Prints one JSON line: total seconds, the stages sorted by time, and the sums by kind (training
stages, the rest). Run from the project root; needs no mirror and no network.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    from conftest import Server, tiny_project  # the test's own fixtures

    srv = Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proj, env, _ = tiny_project(Path(tmp), srv)
            t0 = time.perf_counter()
            proc = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "--cores",
                                   str(args.cores)], cwd=proj, env=env, capture_output=True,
                                  text=True, timeout=1800)
            total = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            log = proc.stdout + proc.stderr
            starts = {m.group(1): float(m.group(2)) for m in re.finditer(
                r"\[([^\]]+)\] INFO work starts ([\d.]+) s after", log)}
            from mlflow.tracking import MlflowClient

            c = MlflowClient(f"sqlite:///{proj / 'mlflow.db'}")
            exp = c.get_experiment_by_name("zhpipe")
            stages = {}
            for r in c.search_runs([exp.experiment_id], max_results=1000):
                name = r.data.tags.get("zhpipe.stage")
                if name and name != "pipeline" and r.info.end_time:
                    stages[name] = round((r.info.end_time - r.info.start_time) / 1000, 1)
    finally:
        srv.close()
    training = {s for s in stages if s.startswith("train_") or s == "word2vec"}
    print(json.dumps({
        "bench": "tiny_pipeline_profile", "date": time.strftime("%Y-%m-%d"), "cores": args.cores,
        "cpus": os.cpu_count(), "total_s": round(total, 1), "stages": len(stages),
        "stage_seconds_sum": round(sum(stages.values()), 1),
        "training_stages_s": round(sum(v for k, v in stages.items() if k in training), 1),
        "other_stages_s": round(sum(v for k, v in stages.items() if k not in training), 1),
        "median_work_start_s": sorted(starts.values())[len(starts) // 2] if starts else None,
        "by_stage": dict(sorted(stages.items(), key=lambda kv: -kv[1])),
        "work_start_s": starts,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
