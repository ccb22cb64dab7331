"""Stage ingest@<name>: a user's own corpus (catalogue.yaml ``local.<name>``) checked, normalised
and recorded into data/prepared/own/<name>/ (raw.txt, MANIFEST.json)."""

import argparse
import sys
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.corpus.local import ingest, load_local, resolve
from zhpipe.corpus.prepare import PrepareParams
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("name")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--catalogue", default="catalogue.yaml")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    entry = load_local(args.name, args.catalogue)
    p = load_section("prepare", PrepareParams, args.params)
    root = Path(args.catalogue).resolve().parent
    files = resolve(entry, root, args.name)
    t0 = time.perf_counter()
    with atomic_dir(args.out_dir) as tmp:
        metrics = ingest(files, tmp, p.max_line_chars, root)
    metrics["seconds"] = round(time.perf_counter() - t0, 2)
    params = {"name": args.name, **entry.model_dump(mode="json"),
              "max_line_chars": p.max_line_chars}
    tracking.record_stage(f"ingest@{args.name}", params, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run(f"ingest@{sys.argv[1] if len(sys.argv) > 1 else '?'}", main)
