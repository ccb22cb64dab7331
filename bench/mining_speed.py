"""Bench: the whole word-mining work (count_ngrams' two shards + the mine_words stage: the main
lexicon, the features lexicon without the test text, the pruning curve, segmenting the corpus,
scoring) at a git revision before the speed work (the baseline) and at HEAD, on the same corpus
in the same run. One JSON line per (corpus, revision) and a ratio line per corpus, to
bench/results/mining_speed.jsonl.

Stage time = the slower of the two count shards (the DAG runs them side by side) + mine_words.
HEAD's mine_words forks the features lexicon and the curve onto the second core (workers=2, as
the stage does with 2 threads); the baseline runs them one after the other (it cannot fork).
Corpora: quick (the 1998 text + 2M characters of the news: the quick profile's mining corpus)
and full (the 1998 text + all 33.5M characters of the news), each with the SIGHAN test text.

    python bench/mining_speed.py                       # baseline b05598b, quick and full
    python bench/mining_speed.py --corpora quick
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "mining_speed.jsonl"
PREP = ROOT / "data" / "prepared"

CHILD = r"""
import inspect, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1] + "/src")
from zhpipe.mining.ngrams import run_count
from zhpipe.mining.mine_words import run_mine_words
from zhpipe.mining.params import CountParams, MineWordsParams
from zhpipe.params import read_params
corpus, out, params = sys.argv[2:5]
raw = read_params(params)
cp, mp = CountParams(**raw["count_ngrams"]), MineWordsParams(**raw["mine_words"])
S = Path(sys.argv[5]) / "sighan2005"
files = sorted(str(p) for p in Path(corpus).glob("*.txt"))
inputs = files + [str(S / "pku_test.raw.txt"), str(S / "msr_test.raw.txt")]
out = Path(out)
shards = [run_count(cp, k, inputs, out / f"counts/{k}.npz")["seconds"] for k in cp.shards]
kw = {"workers": 2} if "workers" in inspect.signature(run_mine_words).parameters else {}
t0 = time.perf_counter()
m = run_mine_words(mp, out / "counts", inputs, out / "mine", S,
                   Path(sys.argv[5]) / "pd1998/dev.seg.txt", None, files, **kw)
mine = time.perf_counter() - t0
print(json.dumps({"count_seconds": shards, "mine_words_seconds": round(mine, 1),
                  "characters": m["characters"], "pku_f1": m["pku"]["f1"],
                  "msr_f1": m["msr"]["f1"], "dev_f1": m["dev"]["f1"],
                  "features_pku_f1": m["features_lexicon"]["pku_f1"],
                  "features_msr_f1": m["features_lexicon"]["msr_f1"],
                  "workers": kw.get("workers", 1)}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="b05598b", help="the revision before the speed work")
    ap.add_argument("--corpora", nargs="+", default=["quick", "full"])
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from zhpipe.corpus.raw_text import RawTextParams, build

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.baseline],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            for corpus in args.corpora:
                text = tmp / f"text-{corpus}"
                build(RawTextParams(parts={"pd1998": None,
                                           "xwlb": 2_000_000 if corpus == "quick" else None}),
                      PREP, text)
                rows = {}
                for label, tree in (("baseline", base), ("head", ROOT)):
                    res = subprocess.run(
                        [sys.executable, "-c", CHILD, str(tree), str(text), str(tmp / label),
                         str(ROOT / "params.yaml"), str(PREP)],
                        capture_output=True, text=True, check=True, cwd=tmp)
                    r = json.loads(res.stdout.strip().splitlines()[-1])
                    stage = max(r["count_seconds"]) + r["mine_words_seconds"]
                    row = {"bench": "mining_speed", "corpus": corpus,
                           "revision": args.baseline if label == "baseline" else commit,
                           "role": label, **r, "stage_seconds": round(stage, 1),
                           "stage_chars_per_sec": round(r["characters"] / stage)}
                    rows[label] = row
                    emit(row)
                    subprocess.run(["rm", "-rf", str(tmp / label)], check=True)
                b, h = rows["baseline"], rows["head"]
                emit({"bench": "mining_speed", "corpus": corpus, "role": "ratio",
                      "speedup": round(b["stage_seconds"] / h["stage_seconds"], 2),
                      "f1_change": {k: round(h[k] - b[k], 2) for k in
                                    ("pku_f1", "msr_f1", "dev_f1", "features_pku_f1",
                                     "features_msr_f1")},
                      "baseline": f"{args.baseline}, same corpus, same run"})
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           capture_output=True)


def emit(row: dict) -> None:
    row.update(date=date.today().isoformat(), machine="2-core CPU, no GPU",
               command="python bench/mining_speed.py " + " ".join(sys.argv[1:]))
    print(json.dumps(row, ensure_ascii=False), flush=True)
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
