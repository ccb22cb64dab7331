"""Stage cloze_items: CMRC 2017-style cloze training items, generated from the tagged 1998 corpus and
the CFT children's stories (and your segmented corpora), CFT's own items, and the official training
set when downloaded; every CMRC 2017 validation sentence removed first."""

import argparse
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.cloze.items import make_items
from zhpipe.cloze.params import ItemsParams
from zhpipe.fsutil import atomic_dir
from zhpipe.params import load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True, help="prepared 1998 corpus folder")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--cft", type=Path, help="prepared CFT folder (stories and their items)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("cloze_items", ItemsParams, args.params)
    with atomic_dir(args.out) as out:
        metrics = make_items(p, args.pd1998, args.cmrc, out, args.cft)
    tracking.record_stage("cloze_items", p, metrics, args.metrics)


if __name__ == "__main__":
    stagerun.run("cloze_items", main)
