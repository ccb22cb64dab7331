"""Bench: word mining of a ~100M-character corpus with the n-gram counting split into shards,
run as Snakemake jobs locally (``--cores 2``, the baseline) and on a Slurm cluster.

The corpus is the pipeline's mining corpus (the raw 1998 text and the raw SIGHAN 2005 test text,
data/prepared after ``make run``) repeated ``--factor`` times (45: about 99M characters). A small
workflow in a scratch folder has one ``count`` job per shard (what the pipeline's
``count_ngrams@<shard>`` stages run: :func:`zhpipe.mining.corpus_io.shard_lines` and
:func:`zhpipe.mining.ngrams.count_stream`) and one ``merge`` job (what ``mine_words`` does
first: :func:`zhpipe.mining.ngrams.load_shards`, then the minimum-entropy lexicon, which reads
the corpus twice more). Each job records its own seconds and peak memory (``ru_maxrss``); on
Slurm the accounting's MaxRSS is read as well. One JSON line per mode and a ratio line go to
bench/results/cluster_counting.jsonl.

    python bench/cluster_counting.py                 # local, then Slurm if `sinfo` answers
    python bench/cluster_counting.py --factor 4      # a quicker look (~9M characters)

Slurm: start one with ``scale/slurm.sh up DIR`` (root); the jobs go to partition ``debug``,
account ``zhpipe`` (``--partition``/``--account``). Every Snakemake run is bounded by ``timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "prepared"
INPUTS = [DATA / "pd1998/raw.txt", DATA / "sighan2005/pku_test.raw.txt",
          DATA / "sighan2005/msr_test.raw.txt"]
RESULTS = ROOT / "bench" / "results" / "cluster_counting.jsonl"
sys.path.insert(0, str(ROOT / "src"))

SNAKEFILE = """\
SHARDS = list(range({shards}))

rule all:
    input: "merged.json"

rule count:
    output: "counts/{{shard}}.npz"
    threads: 1
    resources: mem_mb={count_mb}, runtime=60
    shell: "{python} {bench} count {{wildcards.shard}} {shards} corpus.txt {{output}}"

rule merge:
    input: expand("counts/{{shard}}.npz", shard=SHARDS)
    output: "merged.json"
    threads: 1
    resources: mem_mb={merge_mb}, runtime=120
    shell: "{python} {bench} merge counts corpus.txt {{output}}"
"""


def _params(section: str, cls):
    from zhpipe.params import read_params

    data = read_params(ROOT / "params.yaml")[section]
    return cls(**{k: v for k, v in data.items() if k in cls.model_fields})


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def job_count(shard: int, of: int, corpus: str, out: str) -> None:
    from zhpipe.mining.corpus_io import shard_lines
    from zhpipe.mining.ngrams import count_stream, save
    from zhpipe.mining.params import CountParams

    p = _params("count_ngrams", CountParams)
    t0 = time.perf_counter()
    tables, lines, chars = count_stream(shard_lines([corpus], shard, of, p.max_line_chars),
                                        p.max_order, p.batch_chars)
    save(tables, out, shard=(shard, of))
    Path(out).with_suffix(".json").write_text(json.dumps({
        "shard": shard, "characters": chars, "seconds": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": _peak_mb(), "host": platform.node(),
        "slurm_job": os.environ.get("SLURM_JOB_ID")}))


def job_merge(folder: str, corpus: str, out: str) -> None:
    from zhpipe.mining.corpus_io import batches
    from zhpipe.mining.discover import prune_and_estimate, select_candidates
    from zhpipe.mining.ngrams import load_shards
    from zhpipe.mining.params import MineWordsParams

    p = _params("mine_words", MineWordsParams)
    t0 = time.perf_counter()
    tables = load_shards(folder)
    t_load, load_mb = time.perf_counter() - t0, _peak_mb()

    def passes():
        return batches([corpus], p.batch_chars)

    miner, before = select_candidates(passes, p, tables)
    lexicon = prune_and_estimate(miner, passes, before, p.prune_threshold)
    Path(out).write_text(json.dumps({
        "load_seconds": round(t_load, 2), "load_peak_rss_mb": load_mb,
        "seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": _peak_mb(),
        "lexicon_size": len(lexicon), "distinct_ngrams": sum(len(t) for t in tables.values()),
        "slurm_job": os.environ.get("SLURM_JOB_ID")}))


def write_corpus(path: Path, factor: int) -> int:
    missing = [str(f) for f in INPUTS if not f.exists()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run the pipeline first (make run)")
    text = "".join(f.read_text(encoding="utf-8").rstrip("\n") + "\n" for f in INPUTS)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(factor):
            fh.write(text)
    return factor * sum(1 for c in text if c != "\n")


def slurm_up() -> bool:
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and bool(out.stdout.strip())


def maxrss_by_job(job_ids: list[str]) -> dict[str, int]:
    """Slurm's accounting: the largest MaxRSS (MB) over each job's steps."""
    out = subprocess.run(["sacct", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,MaxRSS"],
                         capture_output=True, text=True, timeout=60).stdout
    peak: dict[str, int] = {}
    for line in out.splitlines():
        job, rss = line.split("|")
        if rss:
            mb = float(rss[:-1]) / 1024 if rss.endswith("K") else float(rss[:-1]) * (
                1024 if rss.endswith("G") else 1)
            key = job.split(".")[0]
            peak[key] = max(peak.get(key, 0), round(mb))
    return peak


def run_mode(mode: str, work: Path, args, chars: int) -> dict:
    shutil.rmtree(work / "counts", ignore_errors=True)
    (work / "merged.json").unlink(missing_ok=True)
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    if mode == "local":
        cmd = [snakemake, "--cores", str(args.cores)]
    else:
        cmd = [snakemake, "--executor", "slurm", "--jobs", str(args.shards), "--cores", "1",
               "--slurm-status-command", "sacct",
               "--slurm-init-seconds-before-status-checks", "2",
               "--default-resources", f"slurm_account={args.account}",
               f"slurm_partition={args.partition}", "--latency-wait", "10"]
    t0 = time.perf_counter()
    proc = subprocess.run(["timeout", "-k", "10", str(args.timeout_s), *cmd], cwd=work,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{mode}: snakemake failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    shards = [json.loads(p.read_text()) for p in sorted((work / "counts").glob("*.json"))]
    merge = json.loads((work / "merged.json").read_text())
    row = {"bench": "cluster_counting", "mode": mode, "characters": chars,
           "shards": args.shards, "wall_seconds": round(wall, 1),
           "count_seconds_max": max(s["seconds"] for s in shards),
           "count_seconds_sum": round(sum(s["seconds"] for s in shards), 1),
           "shard_peak_rss_mb_max": max(s["peak_rss_mb"] for s in shards),
           "merge_load_seconds": merge["load_seconds"],
           "merge_load_peak_rss_mb": merge["load_peak_rss_mb"],
           "merge_seconds": merge["seconds"], "merge_peak_rss_mb": merge["peak_rss_mb"],
           "lexicon_size": merge["lexicon_size"], "distinct_ngrams": merge["distinct_ngrams"]}
    if mode == "slurm":
        ids = [s["slurm_job"] for s in shards if s["slurm_job"]] + [merge["slurm_job"]]
        acct = maxrss_by_job(ids)
        row["sacct_shard_maxrss_mb_max"] = max(acct.get(s["slurm_job"], 0) for s in shards)
        row["sacct_merge_maxrss_mb"] = acct.get(merge["slurm_job"], 0)
        row["slurm_jobs"] = len(ids)
    else:
        row["cores"] = args.cores
    return row


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("count", "merge"):  # a job of the workflow
        if sys.argv[1] == "count":
            job_count(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
        else:
            job_merge(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factor", type=int, default=45, help="copies of the mining corpus (45)")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--cores", type=int, default=2, help="local baseline's --cores (2)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/zhpipe-bench-counting"))
    ap.add_argument("--modes", default="local,slurm")
    ap.add_argument("--partition", default="debug")
    ap.add_argument("--account", default="zhpipe")
    ap.add_argument("--timeout-s", type=int, default=1800)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    chars = write_corpus(args.work / "corpus.txt", args.factor)
    (args.work / "Snakefile").write_text(SNAKEFILE.format(
        shards=args.shards, python=sys.executable, bench=Path(__file__).resolve(),
        count_mb=2000, merge_mb=8000))
    modes = args.modes.split(",")
    if "slurm" in modes and not slurm_up():
        print("no Slurm cluster answers `sinfo` (scale/slurm.sh up DIR starts one): local only",
              file=sys.stderr)
        modes.remove("slurm")
    rows = {}
    common = {"date": date.today().isoformat(), "commit": subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
        text=True).stdout.strip(), "machine": f"{os.cpu_count()}-core CPU, no GPU",
        "command": f"python bench/cluster_counting.py --factor {args.factor} "
                   f"--shards {args.shards}"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for mode in modes:
            rows[mode] = run_mode(mode, args.work, args, chars)
            line = json.dumps({**rows[mode], **common}, ensure_ascii=False)
            print(line)
            fh.write(line + "\n")
        if {"local", "slurm"} <= set(rows):
            line = json.dumps({"bench": "cluster_counting", "mode": "ratio",
                               "baseline": f"local --cores {args.cores}",
                               "slurm_wall_over_local": round(rows["slurm"]["wall_seconds"]
                                                              / rows["local"]["wall_seconds"], 2),
                               **common})
            print(line)
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
