"""Bench: the learning stages of the FULL profile on the full raw text, stage by stage, as the
DAG runs them (the same stage scripts, the params of ``zhpipe profile full``), into a scratch
folder: raw_text -> count_ngrams (2 shards) -> mine_words -> word2vec -> eval_word2vec ->
cloze_items -> cloze_vectors -> train_cloze. One JSON line per stage (its wall seconds and key
figures) to bench/results/full_text.jsonl.

What differs from a whole full-profile run, and why (each is printed in the rows):
* ``--reader quick`` (the default here) trains the cloze reader with the QUICK profile's reader
  settings on the full items and vectors: the full reader (3 readers x 10 epochs, 128 units, 600
  tokens) takes many hours on a 2-core CPU; ``--reader full`` runs it as the profile says (GPU).
* ``--w2v-engine`` picks the Word2Vec engine (the profile's ``auto`` is gensim without a GPU).

    python bench/full_text.py --work /tmp/zhpipe-full            # about an hour on 2 cores
    python bench/full_text.py --work /tmp/zhpipe-full --from word2vec --w2v-engine keras

Needs the prepared corpora of a quick run (data/prepared: pd1998, xwlb, sighan2005, lcsts,
cmrc2017, cft, ca8). The stages log to the MLflow store as usual.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "full_text.jsonl"
PREP = "data/prepared"
S = f"{PREP}/sighan2005"
TESTS = [f"{S}/pku_test.raw.txt", f"{S}/msr_test.raw.txt"]
STAGES = ["raw_text", "count_ngrams", "mine_words", "word2vec", "eval_word2vec", "cloze_items",
          "cloze_vectors", "train_cloze"]


def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def _set(d, dotted, value):
    *path, last = dotted.split(".")
    for k in path:
        d = d.setdefault(k, {})
    d[last] = value


def full_params(work: Path, reader: str, engine: str) -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    full = yaml.safe_load((ROOT / "params.d/full.yaml").read_text(encoding="utf-8"))
    quick = yaml.safe_load((ROOT / "params.d/quick.yaml").read_text(encoding="utf-8"))
    for k, v in _flatten(full).items():
        _set(params, k, v)
    if reader == "quick":
        for k, v in _flatten(quick).items():
            if k.startswith("train_cloze."):
                _set(params, k, v)
    params["word2vec"]["engine"] = engine
    params["word2vec"]["workers"] = min(params["word2vec"]["workers"], os.cpu_count() or 1)
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="scratch folder for the outputs")
    ap.add_argument("--from", dest="start", choices=STAGES, default="raw_text")
    ap.add_argument("--to", dest="stop", choices=STAGES, default="train_cloze")
    ap.add_argument("--reader", choices=["quick", "full"], default="quick")
    ap.add_argument("--w2v-engine", choices=["gensim", "keras"], default="gensim")
    args = ap.parse_args()
    w = args.work.resolve()
    w.mkdir(parents=True, exist_ok=True)
    params = full_params(w, args.reader, args.w2v_engine)
    m = w / "metrics"
    cmds = {
        "raw_text": [["stages/raw_text.py", "--prepared", PREP, "--out", f"{w}/raw_text",
                      "--metrics", f"{m}/raw_text.json"]],
        "count_ngrams": [["stages/count_ngrams.py", str(k), f"{w}/counts/{k}.npz",
                          f"{m}/count_ngrams/{k}.json", f"{w}/raw_text/mining", *TESTS]
                         for k in (0, 1)],
        "mine_words": [["stages/mine_words.py", "--counts", f"{w}/counts", "--sighan", S,
                        "--dev", f"{PREP}/pd1998/dev.seg.txt", "--out", f"{w}/mine_words",
                        "--metrics", f"{m}/mine_words.json", "--features-inputs",
                        f"{w}/raw_text/mining", "--segment", f"{w}/raw_text", *TESTS, "--",
                        f"{w}/raw_text/mining", *TESTS]],
        "word2vec": [["stages/word2vec.py", "--lexicon", f"{w}/mine_words/lexicon.tsv",
                      "--mined", f"{w}/mine_words/segmented.txt", "--gold", f"{PREP}/pd1998",
                      "--extra", f"{PREP}/lcsts", f"{PREP}/cmrc2017", "--out", f"{w}/word2vec",
                      "--metrics", f"{m}/word2vec.json"]],
        "eval_word2vec": [["stages/eval_word2vec.py", "--vectors", f"{w}/word2vec/vectors.npz",
                           "--ca8", f"{PREP}/ca8", "--metrics", f"{m}/eval_word2vec.json"]],
        "cloze_items": [["stages/cloze_items.py", "--pd1998", f"{PREP}/pd1998", "--cmrc",
                         f"{PREP}/cmrc2017", "--cft", f"{PREP}/cft", "--raw-text",
                         f"{w}/raw_text", "--out", f"{w}/cloze_items", "--metrics",
                         f"{m}/cloze_items.json"]],
        "cloze_vectors": [["stages/cloze_vectors.py", "--items", f"{w}/cloze_items", "--cmrc",
                           f"{PREP}/cmrc2017", "--out", f"{w}/cloze_vectors", "--metrics",
                           f"{m}/cloze_vectors.json"]],
        "train_cloze": [["stages/train_cloze.py", "--items", f"{w}/cloze_items", "--vectors",
                         f"{w}/cloze_vectors/vectors.npz", "--cmrc", f"{PREP}/cmrc2017", "--out",
                         f"{w}/cloze", "--metrics", f"{m}/train_cloze.json"]],
    }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    run = STAGES[STAGES.index(args.start):STAGES.index(args.stop) + 1]
    for stage in run:
        t0 = time.perf_counter()
        for cmd in cmds[stage]:
            subprocess.run([sys.executable, cmd[0], "--params", str(params), *cmd[1:]], cwd=ROOT,
                           check=True)
        seconds = time.perf_counter() - t0
        files = [m / f"{stage}.json"] if stage != "count_ngrams" else \
            sorted((m / "count_ngrams").glob("*.json"))
        got = [json.loads(f.read_text(encoding="utf-8")) for f in files]
        row = {"bench": "full_text", "stage": stage, "wall_seconds": round(seconds, 1),
               "metrics": summary(stage, got), "profile": "full",
               "reader": args.reader if stage == "train_cloze" else None,
               "w2v_engine": args.w2v_engine if stage == "word2vec" else None,
               "date": date.today().isoformat(), "commit": commit,
               "machine": "2-core CPU, no GPU, TensorFlow backend",
               "command": "python bench/full_text.py " + " ".join(sys.argv[1:])}
        print(json.dumps(row, ensure_ascii=False), flush=True)
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def summary(stage: str, got: list[dict]) -> dict:
    """The figures of a stage's metrics worth a bench line."""
    m = got[0] if got else {}
    pick = {
        "raw_text": ["characters", "mining"],
        "mine_words": ["characters", "stage_seconds", "stage_chars_per_sec", "seconds",
                       "chars_per_sec", "lexicon_size", "dev", "seconds_by_step"],
        "word2vec": ["engine", "vocabulary", "tokens", "train_seconds", "words_per_sec", "corpus"],
        "eval_word2vec": ["ca8"],
        "cloze_items": ["train_items", "items_by_source", "text_sentences"],
        "cloze_vectors": ["words", "valid_answers_covered", "valid_distinct_answers_covered",
                          "seconds"],
        "train_cloze": ["cmrc2017", "dev_accuracy", "train_items", "vectors",
                        "reads_validation_text"],
    }.get(stage)
    if stage == "count_ngrams":
        return {"characters": sum(x["characters"] for x in got),
                "seconds_per_shard": [x["seconds"] for x in got]}
    out = {k: m[k] for k in pick or [] if k in m}
    if stage == "mine_words":
        out.update({s: m[s]["f1"] for s in ("pku", "msr") if s in m})
    return out


if __name__ == "__main__":
    main()
