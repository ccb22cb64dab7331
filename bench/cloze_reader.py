"""Bench: variants of the cloze reader on the pipeline's items, scored like the stage.

Trains the reader of ``train_cloze`` (params.yaml, ``--set`` overrides any key) on the items
and vectors the pipeline made (data/cloze_items, data/cloze_vectors) and prints one JSON line:
CMRC 2017 validation accuracy (scored only), held-out CFT accuracy (the dev set), the
most-frequent-candidate baseline, items per source, training items/s, backend and device.

    python bench/cloze_reader.py --name curriculum --set story_epochs=1
    python bench/cloze_reader.py --name ensemble3 --set ensemble=3 --record

``--record`` appends the line to bench/results/cloze_reader.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="what the variant is (recorded)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a train_cloze param, e.g. --set story_epochs=1")
    ap.add_argument("--items", type=Path, default=ROOT / "data/cloze_items")
    ap.add_argument("--vectors", type=Path, default=ROOT / "data/cloze_vectors/vectors.npz")
    ap.add_argument("--cmrc", type=Path, default=ROOT / "data/prepared/cmrc2017")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    for need in (args.items / "train.doc_query", args.vectors,
                 args.cmrc / "cloze.valid.doc_query"):
        if not need.exists():
            print(f"{need} missing: run the pipeline first (snakemake --cores all "
                  "cloze_vectors)", file=sys.stderr)
            return 2
    from zhpipe.overrides import parse_overrides

    over = parse_overrides(args.set, "train_cloze")

    from zhpipe import backend
    from zhpipe.cloze.params import ReaderParams
    from zhpipe.params import load_section

    base = load_section("train_cloze", ReaderParams, ROOT / "params.yaml")
    p = ReaderParams.model_validate({**base.model_dump(), **over})
    backend.select(p.backend, "train_cloze.backend")
    from zhpipe.cloze.experiment import train_and_score

    out = ROOT / "data/cloze_bench" / args.name
    t0 = time.perf_counter()
    m = train_and_score(p, args.items, args.vectors, args.cmrc, out)
    v = m["cmrc2017"]["valid"]
    row = {"bench": "cloze_reader", "name": args.name, "set": over, **backend.describe(),
           "valid_accuracy": v["accuracy"], "top_frequency_accuracy": v["top_frequency_accuracy"],
           "cft_heldout_accuracy": m["dev_accuracy"], "dev_items": m["dev_items"],
           "dev_items_source": m["dev_items_source"],
           "reads_validation_text": m["reads_validation_text"],
           "items_by_source": m["items_by_source"], "train_items": m["train_items"],
           "train_items_per_sec": m["reader"]["train_items_per_sec"],
           "history": m["reader"]["history"], "ensemble": m.get("ensemble"),
           "wall_s": round(time.perf_counter() - t0),
           "command": "python bench/cloze_reader.py " + " ".join(sys.argv[1:])}
    line = json.dumps(row, ensure_ascii=False)
    print(line, flush=True)
    if args.record:
        with open(ROOT / "bench/results/cloze_reader.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
