"""Bench: how long each runner takes to say "nothing to do" right after a full run.

Target (issue 2): under 5 s each. Baseline, measured in the same run: the runner's bare start-up
(`--version`), so the ratio shows what the DAG check itself costs. Prints one JSON line per runner.
Run it after `make run` (it reports `up_to_date: false` otherwise).
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd, repeat=3):
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        out = proc.stdout + proc.stderr
    return statistics.median(times), out


def main():
    checks = {
        "snakemake": ([BIN / "snakemake", "-n", "--cores", "2"], "Nothing to be done"),
        "dvc": ([BIN / "dvc", "status"], "up to date"),
    }
    for runner, (cmd, ok_text) in checks.items():
        seconds, out = timed(cmd)
        base, _ = timed([BIN / runner, "--version"])
        print(json.dumps({"bench": "noop_after_full_run", "runner": runner,
                          "command": " ".join(str(c).replace(str(BIN) + "/", "") for c in cmd),
                          "seconds": round(seconds, 3), "target_seconds": 5.0,
                          "baseline": f"{runner} --version", "baseline_seconds": round(base, 3),
                          "ratio_to_baseline": round(seconds / base, 2),
                          "up_to_date": ok_text in out}))


if __name__ == "__main__":
    main()
