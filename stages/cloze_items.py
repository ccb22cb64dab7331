"""Stage cloze_items: CMRC 2017-style cloze training items, generated from the tagged 1998 corpus and
the CFT children's stories (and your segmented corpora), CFT's own items, and the official training
set when downloaded; every CMRC 2017 validation sentence removed first."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.cloze.params import ItemsParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pd1998", type=Path, required=True, help="prepared 1998 corpus folder")
    ap.add_argument("--cmrc", type=Path, required=True, help="prepared CMRC 2017 folder")
    ap.add_argument("--cft", type=Path, help="prepared CFT folder (stories and their items)")
    ap.add_argument("--raw-text", type=Path, help="the raw_text stage's folder (raw_text_parts)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.cloze.items import make_items

        return make_items(p, args.pd1998, args.cmrc, run.out(args.out), args.cft, args.raw_text)

    stagerun.run("cloze_items", work, section="cloze_items", model=ItemsParams, params=args.params,
                 metrics=args.metrics, outs=[args.out])


if __name__ == "__main__":
    main()
