"""Bench: the CMRC 2017 scorer against the organisers' published prediction files.

Each ``results/cloze/<system>.<single|ensemble>.<dev|test>.out`` downloaded by the pipeline
(data/raw/cmrc2017) is scored against the official answers with ``zhpipe.cloze.data.accuracy``
and compared with the accuracy on the leaderboard (ymcui/cmrc2017, results/README.md). One JSON
line per file, then the pipeline reader's own validation accuracy beside the published anchors.
Exits 1 if any file does not reproduce its published number to 0.01.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RAW = ROOT / "data/raw/cmrc2017"

# (system, kind) -> (dev, test) accuracy published on the leaderboard
LEADERBOARD = {("6estates", "ensemble"): (81.85, 81.90), ("6estates", "single"): (75.85, 74.73),
               ("sjtu", "ensemble"): (78.35, 80.67), ("sjtu", "single"): (76.15, 77.73),
               ("yscz", "ensemble"): (79.20, 80.27), ("yscz", "single"): (77.15, 77.53)}
GOLD = {"dev": RAW / "validation/cloze.valid.answer", "test": RAW / "test/cloze.test.answer"}


def emit(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


def main() -> int:
    from zhpipe.cloze.data import score_files

    files = sorted((RAW / "results/cloze").glob("*.out"))
    if not files:
        print(f"no prediction files under {RAW}/results/cloze: run the pipeline first "
              "(snakemake --cores all download_cmrc2017)", file=sys.stderr)
        return 2
    bad = 0
    for f in files:
        system, kind, split = f.name.split(".")[:3]
        if not GOLD[split].exists():
            continue
        s = score_files(f, GOLD[split])
        published = LEADERBOARD[(system, kind)][0 if split == "dev" else 1]
        ok = abs(s["accuracy"] - published) < 0.01
        bad += not ok
        emit(bench="cloze_scorer", file=f.name, split=split, accuracy=s["accuracy"],
             published=published, reproduced=ok, total=s["total"])
    metrics = ROOT / "reports/metrics/cloze.json"
    if metrics.exists():
        m = json.loads(metrics.read_text(encoding="utf-8"))
        emit(bench="cloze_reader", accuracy=m["cmrc2017"]["valid"]["accuracy"],
             top_frequency=m["cmrc2017"]["valid"]["top_frequency_accuracy"],
             train_items=m["train_items"], train_source=m["train_source"],
             train_items_per_sec=m["reader"]["train_items_per_sec"],
             anchors={"AS Reader": 69.75, "Su": 73.55, "best single (WHU)": 78.20,
                      "best ensemble": 81.85})
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
