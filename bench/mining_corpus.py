"""Bench: which mining corpus? Word mining on the 1998 text plus more and more Xinwen Lianbo
news (the raw_text stage's slices: every k-th line of 2012-2025), scored on the 1998 dev split
(the split mining settings are chosen on) and, for reference only, on the SIGHAN 2005 PKU and
MSR test sets. The budget with the best dev F1 is the mining corpus of both profiles
(params.yaml raw_text.mining); the text beyond it is still segmented for Word2Vec.

Transductive as the pipeline's mining: the SIGHAN test text (raw) is in every corpus. Needs the
prepared corpora (pd1998, xwlb, sighan2005: `snakemake --cores 2 prepare`). One JSON line per
budget to bench/results/mining_corpus.jsonl; the first line (no news) is the baseline.

    python bench/mining_corpus.py                      # budgets 0, 2M, 4M, 8M, 16M, all
    python bench/mining_corpus.py --budgets 0 2000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREP = ROOT / "data" / "prepared"
RESULTS = ROOT / "bench" / "results" / "mining_corpus.jsonl"
sys.path.insert(0, str(ROOT / "src"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budgets", nargs="+", default=["0", "2000000", "4000000", "8000000",
                                                      "16000000", "all"])
    args = ap.parse_args()
    from zhpipe.corpus.raw_text import RawTextParams, build, expand
    from zhpipe.evaluation.segmentation import evaluate_sighan
    from zhpipe.mining.corpus_io import batches, shard_lines
    from zhpipe.mining.discover import mine
    from zhpipe.mining.mine_words import read_gold, score_dev
    from zhpipe.mining.ngrams import count_stream
    from zhpipe.mining.params import MineWordsParams
    from zhpipe.params import read_params

    p = MineWordsParams(**read_params(ROOT / "params.yaml")["mine_words"])
    sighan = PREP / "sighan2005"
    tests = [str(sighan / f"{s}_test.raw.txt") for s in ("pku", "msr")]
    dev = read_gold(PREP / "pd1998" / "dev.seg.txt")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    base = None
    for budget in args.budgets:
        parts = {"pd1998": None} if budget == "0" else {
            "pd1998": None, "xwlb": None if budget == "all" else int(budget)}
        with tempfile.TemporaryDirectory() as tmp:
            info = build(RawTextParams(parts=parts), PREP, Path(tmp))
            files = expand([tmp]) + tests
            t0 = time.perf_counter()
            tables, _, chars = count_stream(shard_lines(files, 0, 1), p.max_order + 1,
                                            p.batch_chars)
            lex = mine(lambda files=files: batches(files, p.batch_chars), p, tables)
            seconds = time.perf_counter() - t0
        seg = lex.segmenter().segment_lines
        row = {"bench": "mining_corpus", "news_budget": budget,
               "news_characters": info["parts"].get("xwlb", {}).get("characters", 0),
               "characters": chars, "lexicon_size": len(lex),
               "dev_f1": round(score_dev(seg, dev).f1 * 100, 2),
               **{f"{k}_f1": round(v.f1 * 100, 2) for k, v in evaluate_sighan(seg, sighan).items()},
               "mining_seconds": round(seconds, 1), "baseline": "1998 text only (budget 0)"}
        if base is None:
            base = row
        row["dev_f1_minus_baseline"] = round(row["dev_f1"] - base["dev_f1"], 2)
        row.update(date=date.today().isoformat(), commit=commit, machine="2-core CPU, no GPU",
                   command="python bench/mining_corpus.py " + " ".join(sys.argv[1:]))
        print(json.dumps(row, ensure_ascii=False), flush=True)
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
